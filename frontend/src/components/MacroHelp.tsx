import { css } from '@emotion/css';
import React from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { Alert, useStyles2 } from '@grafana/ui';

import { MacroReference, ReferenceEntry } from '../resources';

interface Props {
  reference: MacroReference;
  loading: boolean;
  problems: string[];
}

function ReferenceTable({ title, entries }: { title: string; entries: ReferenceEntry[] }) {
  const styles = useStyles2(getStyles);
  if (entries.length === 0) {
    return null;
  }
  return (
    <section>
      <h5>{title}</h5>
      <table className={styles.table}>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.name}>
              <td>
                <code>{entry.signature || entry.name}</code>
              </td>
              <td>
                {entry.description}
                {entry.example && <pre className={styles.example}>{entry.example}</pre>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The macro reference as served by the backend's `macros` resource, plus the query-writing rules. */
export function MacroHelp({ reference, loading, problems }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.help} data-testid="macro-help">
      <h4>Writing queries</h4>
      <ul>
        <li>
          Time series: return a time column and one or more numeric value columns; text columns (or the Metrics
          column) name the series.
        </li>
        <li>
          Variables: <code>{'${name}'}</code> or <code>$name</code>. A single value is inserted as it is, so quote
          strings yourself: <code>{'"${target_ip}"'}</code>. Multi-value variables become a list of quoted strings
          for <code>{'IN (${hosts})'}</code>.
        </li>
        <li>Run the query with Shift+Enter or Ctrl+Enter.</li>
      </ul>
      {loading && <p>Loading the macro reference…</p>}
      {problems.map((problem) => (
        <Alert key={problem} severity="warning" title="Backend reference unavailable">
          {problem}
        </Alert>
      ))}
      <ReferenceTable title="Macros" entries={reference.macros} />
      <ReferenceTable title="Functions (time series, enrichment)" entries={reference.functions} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  help: css({
    padding: theme.spacing(1, 2),
    marginTop: theme.spacing(1),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    maxHeight: 480,
    overflowY: 'auto',
    ul: { paddingLeft: theme.spacing(2) },
  }),
  table: css({
    width: '100%',
    marginBottom: theme.spacing(2),
    td: { verticalAlign: 'top', padding: theme.spacing(0.5, 1), borderTop: `1px solid ${theme.colors.border.weak}` },
    'td:first-child': { whiteSpace: 'nowrap', width: '1%' },
  }),
  example: css({ margin: theme.spacing(0.5, 0, 0), whiteSpace: 'pre-wrap' }),
});

import { css } from '@emotion/css';
import React, { useEffect, useMemo, useState } from 'react';

import { CoreApp, getDefaultTimeRange, GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { Button, InlineField, InlineFieldRow, InlineSwitch, useStyles2 } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { completionCandidates } from '../editor/sqlCompletion';
import { useEditorReference } from '../editor/useEditorReference';
import { useSqlPreview } from '../editor/useSqlPreview';
import { hasLegacyKeys, migrateQuery } from '../query/migrate';
import { CloudSqlOptions, CloudSqlQuery } from '../types';
import { MacroHelp } from './MacroHelp';
import { QueryOptions } from './QueryOptions';
import { SqlCodeEditor } from './SqlCodeEditor';
import { SqlPreview } from './SqlPreview';
import { QUERY_TOOLTIPS } from './tooltips';

export type Props = QueryEditorProps<DataSource, CloudSqlQuery, CloudSqlOptions>;

/** Explore and the alert-rule editor give a query little room: smaller editor, narrower labels. */
const COMPACT_APPS: Array<CoreApp | string> = [CoreApp.Explore, CoreApp.UnifiedAlerting];

export function QueryEditor({ query, onChange, onRunQuery, datasource, range, app, data }: Props) {
  const styles = useStyles2(getStyles);
  const compact = app !== undefined && COMPACT_APPS.includes(app);
  const current = migrateQuery(query);
  const [showHelp, setShowHelp] = useState(false);
  const editorReference = useEditorReference(datasource);
  const { state: previewState, preview, close: closePreview } = useSqlPreview(datasource);
  const candidates = useMemo(
    () => completionCandidates(editorReference.reference, editorReference.columns),
    [editorReference]
  );

  // Dashboards from the original plugin carry queryText/time_column/...: store them under the new keys.
  useEffect(() => {
    if (hasLegacyKeys(query)) {
      onChange(migrateQuery(query));
    }
  }, [query, onChange]);

  const onSqlChange = (rawSql: string) => {
    if (rawSql !== (current.rawSql ?? '')) {
      onChange({ ...current, rawSql });
    }
  };
  const onSqlRun = (rawSql: string) => {
    onChange({ ...current, rawSql });
    onRunQuery();
  };
  const onPreview = () => {
    preview(current, range ?? getDefaultTimeRange(), data?.request?.intervalMs);
  };

  return (
    <div data-testid="query-editor" data-layout={compact ? 'compact' : 'full'}>
      <SqlCodeEditor
        value={current.rawSql ?? ''}
        height={compact ? 120 : 220}
        candidates={candidates}
        onChange={onSqlChange}
        onRun={onSqlRun}
      />
      <InlineFieldRow className={styles.toolbar}>
        <QueryOptions query={current} compact={compact} onChange={onChange} onRunQuery={onRunQuery} />
        <InlineField label="Show help" tooltip={QUERY_TOOLTIPS.showHelp}>
          <InlineSwitch
            aria-label="Show help"
            value={showHelp}
            onChange={(event) => setShowHelp(event.currentTarget.checked)}
          />
        </InlineField>
        <Button variant="secondary" icon="eye" tooltip={QUERY_TOOLTIPS.preview} onClick={onPreview}>
          Preview SQL
        </Button>
      </InlineFieldRow>
      <SqlPreview state={previewState} onClose={closePreview} />
      {showHelp && (
        <MacroHelp
          reference={editorReference.reference}
          loading={editorReference.loading}
          problems={editorReference.problems}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({ marginTop: theme.spacing(1) }),
});

import { css, cx } from '@emotion/css';
import React from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2 } from '@grafana/ui';

import type { EstimateState } from '../editor/useQueryEstimate';
import { estimateText } from '../query/estimateText';

interface Props {
  state: EstimateState;
}

/**
 * One compact line under the SQL editor: what the query will read for the current range, before it
 * runs. The budget warning and the reasons an estimate is not exact come on lines of their own.
 */
export function QueryEstimate({ state }: Props) {
  const styles = useStyles2(getStyles);
  if (state.status === 'idle') {
    return null;
  }
  if (state.status === 'failed') {
    return (
      <div className={styles.line} data-testid="query-estimate" data-status="failed">
        <Icon name="exclamation-triangle" size="sm" /> No estimate: {state.message}
      </div>
    );
  }
  const result = state.status === 'done' ? state.result : state.previous;
  if (!result) {
    return (
      <div className={styles.line} data-testid="query-estimate" data-status="loading">
        Estimating what this query reads…
      </div>
    );
  }
  const text = estimateText(result);
  return (
    <div
      className={cx(styles.line, text.budget && styles.warning, state.status === 'loading' && styles.stale)}
      data-testid="query-estimate"
      data-status={text.budget ? 'over-budget' : state.status}
    >
      <div>
        <Icon name={text.budget ? 'exclamation-triangle' : 'database'} size="sm" /> {text.summary}
        {text.span && <span className={styles.span}> · {text.span}</span>}
      </div>
      {text.budget && <div data-testid="query-estimate-budget">{text.budget}</div>}
      {text.notes.map((note) => (
        <div key={note} className={styles.note}>
          {note}
        </div>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  line: css({ marginTop: theme.spacing(0.5), fontSize: theme.typography.bodySmall.fontSize, color: theme.colors.text.secondary }),
  warning: css({ color: theme.colors.warning.text }),
  stale: css({ opacity: 0.6 }),
  span: css({ color: theme.colors.text.disabled }),
  note: css({ fontStyle: 'italic' }),
});

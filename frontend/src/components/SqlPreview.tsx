import { css } from '@emotion/css';
import React from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { Alert, IconButton, useStyles2 } from '@grafana/ui';

import type { PreviewState } from '../editor/useSqlPreview';

interface Props {
  state: PreviewState;
  onClose: () => void;
}

export function SqlPreview({ state, onClose }: Props) {
  const styles = useStyles2(getStyles);
  if (state.status === 'closed') {
    return null;
  }
  return (
    <div className={styles.preview} data-testid="sql-preview">
      <div className={styles.header}>
        <h5>Preview SQL</h5>
        <IconButton name="times" tooltip="Close the preview" onClick={onClose} />
      </div>
      {state.status === 'loading' && <p>Expanding macros…</p>}
      {state.status === 'failed' && (
        <Alert severity="error" title="The query cannot be expanded">
          {state.message}
        </Alert>
      )}
      {state.status === 'done' && (
        <>
          <h6>Sent to the engine</h6>
          <pre data-testid="preview-sql">{state.result.sql}</pre>
          {state.result.expandedSql && state.result.expandedSql !== state.result.sql && (
            <>
              <h6>After macro expansion (IBM SQL dialect)</h6>
              <pre data-testid="preview-expanded-sql">{state.result.expandedSql}</pre>
            </>
          )}
        </>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  preview: css({
    padding: theme.spacing(1, 2),
    marginTop: theme.spacing(1),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    pre: { whiteSpace: 'pre-wrap', wordBreak: 'break-word' },
  }),
  header: css({ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }),
});

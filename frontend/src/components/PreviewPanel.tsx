import { css } from '@emotion/css';
import React, { ReactNode } from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { Alert, IconButton, useStyles2 } from '@grafana/ui';

import type { PreviewState } from '../editor/useResourcePreview';

interface Props<T> {
  title: string;
  testId: string;
  state: PreviewState<T>;
  loadingText: string;
  failedTitle: string;
  closeLabel: string;
  onClose: () => void;
  children: (result: T) => ReactNode;
}

/** The box under the editor that shows a resource's answer about the query (expanded SQL, plan) or its error. */
export function PreviewPanel<T>({ title, testId, state, loadingText, failedTitle, closeLabel, onClose, children }: Props<T>) {
  const styles = useStyles2(getStyles);
  if (state.status === 'closed') {
    return null;
  }
  return (
    <div className={styles.preview} data-testid={testId}>
      <div className={styles.header}>
        <h5>{title}</h5>
        <IconButton name="times" tooltip={closeLabel} onClick={onClose} />
      </div>
      {state.status === 'loading' && <p>{loadingText}</p>}
      {state.status === 'failed' && (
        <Alert severity="error" title={failedTitle}>
          {state.message}
        </Alert>
      )}
      {state.status === 'done' && children(state.result)}
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

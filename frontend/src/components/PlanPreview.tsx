import { css } from '@emotion/css';
import React from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import type { PreviewState } from '../editor/useResourcePreview';
import type { PlanResult } from '../resources';
import { PreviewPanel } from './PreviewPanel';

interface Props {
  state: PreviewState<PlanResult>;
  onClose: () => void;
}

/** The engine's plan as the engine prints it: column-aligned text, so monospace and never wrapped. */
export function PlanPreview({ state, onClose }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <PreviewPanel
      title="Engine plan"
      testId="plan-preview"
      state={state}
      loadingText="Asking the engine for its plan…"
      failedTitle="No plan for this query"
      closeLabel="Close the plan"
      onClose={onClose}
    >
      {(result) => (
        <>
          <h6 data-testid="plan-engine">{result.engine}</h6>
          <pre className={styles.plan} data-testid="preview-plan">
            {result.plan}
          </pre>
        </>
      )}
    </PreviewPanel>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  plan: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    maxHeight: 400,
    overflow: 'auto',
    // Wins over the panel's pre-wrap: a wrapped plan loses the tree's alignment.
    '&&': { whiteSpace: 'pre', wordBreak: 'normal' },
  }),
});

import React from 'react';

import { Button, Stack } from '@grafana/ui';

import { QUERY_TOOLTIPS } from './tooltips';

interface Props {
  running: boolean;
  onRun: () => void;
  onStop: () => void;
  /** Absent where formatting does not apply (the builder writes its own layout). */
  onFormat?: () => void;
  onPreview: () => void;
  onPlan: () => void;
}

/** Run, Stop (cancels the running request on the backend), Format SQL, Preview SQL and Show plan. */
export function RunControls({ running, onRun, onStop, onFormat, onPreview, onPlan }: Props) {
  return (
    <Stack direction="row" gap={1} wrap="wrap">
      <Button icon="play" size="sm" onClick={onRun} disabled={running} tooltip={QUERY_TOOLTIPS.run}>
        Run query
      </Button>
      <Button icon="square-shape" size="sm" variant="destructive" onClick={onStop} disabled={!running} tooltip={QUERY_TOOLTIPS.stop}>
        Stop
      </Button>
      {onFormat && (
        <Button icon="brackets-curly" size="sm" variant="secondary" onClick={onFormat} tooltip={QUERY_TOOLTIPS.formatSql}>
          Format SQL
        </Button>
      )}
      <Button icon="eye" size="sm" variant="secondary" onClick={onPreview} tooltip={QUERY_TOOLTIPS.preview}>
        Preview SQL
      </Button>
      <Button icon="sitemap" size="sm" variant="secondary" onClick={onPlan} tooltip={QUERY_TOOLTIPS.plan}>
        Show plan
      </Button>
    </Stack>
  );
}

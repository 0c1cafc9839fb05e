import React from 'react';

import type { PreviewState } from '../editor/useResourcePreview';
import type { ExpandResult } from '../resources';
import { PreviewPanel } from './PreviewPanel';

interface Props {
  state: PreviewState<ExpandResult>;
  onClose: () => void;
}

export function SqlPreview({ state, onClose }: Props) {
  return (
    <PreviewPanel
      title="Preview SQL"
      testId="sql-preview"
      state={state}
      loadingText="Expanding macros…"
      failedTitle="The query cannot be expanded"
      closeLabel="Close the preview"
      onClose={onClose}
    >
      {(result) => (
        <>
          <h6>Sent to the engine</h6>
          <pre data-testid="preview-sql">{result.sql}</pre>
          {result.expandedSql && result.expandedSql !== result.sql && (
            <>
              <h6>After macro expansion (IBM SQL dialect)</h6>
              <pre data-testid="preview-expanded-sql">{result.expandedSql}</pre>
            </>
          )}
        </>
      )}
    </PreviewPanel>
  );
}

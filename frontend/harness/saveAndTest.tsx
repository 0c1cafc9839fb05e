import React from 'react';

import { Alert, Button } from '@grafana/ui';

// What Grafana's datasource page adds under the config editor.

/** What Save & test reports: Grafana's testDatasource result, or its rejection. */
export interface TestResult {
  status: 'success' | 'error';
  message: string;
  details?: unknown;
}

/** Grafana's "Save & test" row: the button and what the health check said. */
export function SaveAndTest({ onClick, result }: { onClick: () => void; result?: TestResult }) {
  const stages = (result?.details as { stages?: Array<{ name: string; status: string; detail: string }> } | undefined)?.stages;
  return (
    <section style={{ marginTop: 16 }}>
      <Button onClick={onClick}>Save &amp; test</Button>
      {result && (
        <div data-testid="test-result" data-status={result.status} style={{ marginTop: 8 }}>
          <Alert severity={result.status} title={result.message}>
            {stages && (
              <ul>
                {stages.map((stage) => (
                  <li key={stage.name}>
                    {stage.name}: {stage.status} {stage.detail}
                  </li>
                ))}
              </ul>
            )}
          </Alert>
        </div>
      )}
    </section>
  );
}

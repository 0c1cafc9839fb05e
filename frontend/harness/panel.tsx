import React from 'react';

import { AdHocVariableFilter, CoreApp, DataFrame, DataQueryRequest, DataQueryResponse, dateTime } from '@grafana/data';
import { Alert } from '@grafana/ui';

import type { DataSource } from '../src/datasource';
import { CloudSqlQuery } from '../src/types';

// What a dashboard panel does around the query editor: its request and the frames it shows.

/** The fixed time range of every harness page (the real-backend specs' sample data covers it). */
export const range = {
  from: dateTime(Date.UTC(2026, 0, 1)),
  to: dateTime(Date.UTC(2026, 0, 1, 6)),
  raw: { from: 'now-6h', to: 'now' },
};

const INTERVAL = { text: '1m', ms: 60000 };

/**
 * The request a dashboard panel's query runner hands the datasource (filtered as Grafana does), with
 * the dashboard's ad-hoc filters.
 */
export function panelRequest(
  datasource: DataSource,
  query: CloudSqlQuery,
  run: number,
  app: CoreApp,
  filters?: AdHocVariableFilter[]
): DataQueryRequest<CloudSqlQuery> {
  return {
    requestId: `harness-${run}`,
    app,
    timezone: 'utc',
    range,
    interval: INTERVAL.text,
    intervalMs: INTERVAL.ms,
    maxDataPoints: 1000,
    scopedVars: {
      __interval: { text: INTERVAL.text, value: INTERVAL.text },
      __interval_ms: { text: String(INTERVAL.ms), value: INTERVAL.ms },
    },
    targets: [query].filter((target) => datasource.filterQuery(target)),
    filters,
    startTime: Date.now(),
  };
}

/** The frames of a query response as plain tables, or its errors (what a table panel would show). */
export function QueryResult({ response }: { response: DataQueryResponse }) {
  const errors = response.errors ?? (response.error ? [response.error] : []);
  return (
    <section data-testid="query-result">
      {errors.map((error, index) => (
        <Alert key={index} severity="error" title="Query failed" data-testid="query-error">
          {error.message}
        </Alert>
      ))}
      {(response.data as DataFrame[]).map((frame, index) => (
        <table key={index} data-testid="result-frame" data-name={frame.name ?? ''} style={{ marginTop: 8 }}>
          <thead>
            <tr>
              {frame.fields.map((field) => (
                <th key={field.name} style={{ paddingRight: 16, textAlign: 'left' }}>
                  {field.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: frame.length }, (_, row) => (
              <tr key={row}>
                {frame.fields.map((field) => (
                  <td key={field.name}>{String(field.values[row])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

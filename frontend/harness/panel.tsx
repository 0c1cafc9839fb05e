import React from 'react';

import {
  AdHocVariableFilter,
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  dateTime,
  mapInternalLinkToExplore,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
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

/** Level colours close to Grafana's logs view, so a screenshot reads like Explore. */
const LEVEL_COLOURS: Record<string, string> = { warning: '#ff9830', info: '#73bf69', error: '#f2495c' };

/**
 * A logs frame (`preferredVisualisationType: logs`) as Explore's logs view reads it: the fields are
 * found by their contract names (timestamp, body, severity, labels), one line per row.
 */
function LogLines({ frame }: { frame: DataFrame }) {
  const field = (name: string) => frame.fields.find((candidate) => candidate.name === name);
  const [times, bodies, levels, labels] = ['timestamp', 'body', 'severity', 'labels'].map(field);
  return (
    <ol data-testid="log-lines" data-frame-type={frame.meta?.type ?? ''} style={{ marginTop: 8, fontFamily: 'monospace', listStyle: 'none', padding: 0 }}>
      {Array.from({ length: frame.length }, (_, row) => {
        const level = String(levels?.values[row] ?? 'unknown');
        return (
          <li key={row} data-testid="log-line" data-level={level} style={{ borderLeft: `4px solid ${LEVEL_COLOURS[level] ?? '#8e8e8e'}`, paddingLeft: 8 }}>
            <span data-testid="log-time">{new Date(Number(times?.values[row])).toISOString()}</span> <strong>{level}</strong>{' '}
            <span data-testid="log-body">{String(bodies?.values[row])}</span>{' '}
            <code data-testid="log-labels">{JSON.stringify(labels?.values[row] ?? {})}</code>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * The data links of a frame's fields as anchors: an internal link becomes the Explore URL Grafana
 * makes of it (@grafana/data's mapInternalLinkToExplore, with the panel's range), as a panel's link
 * menu would offer it.
 */
function DataLinks({ frame }: { frame: DataFrame }) {
  const templateSrv = getTemplateSrv();
  const links = frame.fields.flatMap((field) =>
    (field.config.links ?? []).map((link) =>
      link.internal
        ? mapInternalLinkToExplore({ link, internalLink: link.internal, scopedVars: {}, range, field, replaceVariables: templateSrv.replace.bind(templateSrv) })
        : { title: link.title, href: link.url }
    )
  );
  if (links.length === 0) {
    return null;
  }
  return (
    <ul data-testid="data-links">
      {links.map((link, index) => (
        <li key={index}>
          <a data-testid="data-link" href={link.href}>
            {link.title}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** The frames of a query response as plain tables (logs frames as log lines), or its errors. */
export function QueryResult({ response }: { response: DataQueryResponse }) {
  const errors = response.errors ?? (response.error ? [response.error] : []);
  return (
    <section data-testid="query-result">
      {errors.map((error, index) => (
        <Alert key={index} severity="error" title="Query failed" data-testid="query-error">
          {error.message}
        </Alert>
      ))}
      {(response.data as DataFrame[]).map((frame, index) =>
        frame.meta?.preferredVisualisationType === 'logs' ? (
          <LogLines key={index} frame={frame} />
        ) : (
          <React.Fragment key={index}>
            <table data-testid="result-frame" data-name={frame.name ?? ''} style={{ marginTop: 8 }}>
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
            <DataLinks frame={frame} />
          </React.Fragment>
        )
      )}
    </section>
  );
}

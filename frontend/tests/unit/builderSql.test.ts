import { readFileSync } from 'node:fs';
import path from 'node:path';

import { applyBuilder, HAND_EDITED_NOTE, openingMode } from '../../src/builder/mode';
import { FlowBuilderState } from '../../src/builder/model';
import { generateQuery } from '../../src/builder/sql';
import { CloudSqlQuery, QueryFormat } from '../../src/types';

const WHERE_TIME = 'WHERE $__timeFilterColumn(start_time, string)';
const LOG_SELECT =
  'SELECT start_time, action, direction, transport_protocol, initiator_ip, initiator_port, target_ip, target_port, ' +
  'bytes_from_initiator, bytes_from_target, packets_from_initiator, packets_from_target, network_interface_id, instance_crn';

const CASES: Array<{ name: string; state: FlowBuilderState; format: QueryFormat; sql: string[]; timeColumn?: string; metricsColumn?: string }> = [
  {
    name: 'all connections in the range, table',
    state: { measure: 'connections', groupBy: [], filters: [] },
    format: 'table',
    sql: ['SELECT count(*) AS connections', 'FROM FLOW_FLAT', WHERE_TIME],
  },
  {
    name: 'top 5 target IPs by bytes, inbound only',
    state: { measure: 'bytes', groupBy: ['target_ip'], filters: [{ column: 'direction', operator: '=', value: 'I' }], topN: 5 },
    format: 'table',
    sql: [
      'SELECT target_ip, sum(bytes_from_initiator + bytes_from_target) AS bytes',
      'FROM FLOW_FLAT',
      `${WHERE_TIME} AND direction = 'I'`,
      'GROUP BY target_ip',
      'ORDER BY bytes DESC',
      'LIMIT 5',
    ],
  },
  {
    name: 'numeric filter stays a number, text on a numeric column is quoted',
    state: {
      measure: 'packets',
      groupBy: ['transport_protocol'],
      filters: [
        { column: 'target_port', operator: '!=', value: '443' },
        { column: 'initiator_port', operator: '=', value: '${port}' },
      ],
    },
    format: 'table',
    sql: [
      'SELECT transport_protocol, sum(packets_from_initiator + packets_from_target) AS packets',
      'FROM FLOW_FLAT',
      `${WHERE_TIME} AND target_port != 443 AND initiator_port = '\${port}'`,
      'GROUP BY transport_protocol',
      'ORDER BY packets DESC',
    ],
  },
  {
    name: 'a hostile value stays one string literal',
    state: { measure: 'connections', groupBy: [], filters: [{ column: 'target_ip', operator: '=', value: "x' OR 1=1 --\\" }] },
    format: 'table',
    sql: ['SELECT count(*) AS connections', 'FROM FLOW_FLAT', `${WHERE_TIME} AND target_ip = 'x\\' OR 1=1 --\\\\'`],
  },
  {
    name: 'rejected share per action over time, panel interval',
    state: { measure: 'rejected_share', groupBy: ['target_ip'], filters: [] },
    format: 'time_series',
    sql: [
      "SELECT $__timeGroupAlias(start_time, $__interval), target_ip, avg(CASE WHEN action = 'rejected' THEN 1.0 ELSE 0.0 END) AS rejected_share",
      'FROM FLOW_FLAT',
      WHERE_TIME,
      'GROUP BY $__timeGroup(start_time, $__interval), target_ip',
      'ORDER BY 1',
    ],
    timeColumn: 'time',
    metricsColumn: 'target_ip',
  },
  {
    name: 'two group columns name one series; a typed interval; top N ignored for time series',
    state: { measure: 'connections', groupBy: ['action', 'target_port'], filters: [], interval: '5m', topN: 3 },
    format: 'time_series',
    sql: [
      "SELECT $__timeGroupAlias(start_time, 5m), concat_ws(' ', CAST(action AS STRING), CAST(target_port AS STRING)) AS series, count(*) AS connections",
      'FROM FLOW_FLAT',
      WHERE_TIME,
      'GROUP BY $__timeGroup(start_time, 5m), action, target_port',
      'ORDER BY 1',
    ],
    timeColumn: 'time',
    metricsColumn: 'series',
  },
  {
    name: 'an interval that is not a width falls back to the panel interval',
    state: { measure: 'connections', groupBy: [], filters: [], interval: "5m'); DROP" },
    format: 'time_series',
    sql: [
      'SELECT $__timeGroupAlias(start_time, $__interval), count(*) AS connections',
      'FROM FLOW_FLAT',
      WHERE_TIME,
      'GROUP BY $__timeGroup(start_time, $__interval)',
      'ORDER BY 1',
    ],
    timeColumn: 'time',
  },
  {
    name: 'rejected flow records as logs, newest 1000 (measure and grouping do not apply)',
    state: { measure: 'bytes', groupBy: ['target_ip'], filters: [{ column: 'action', operator: '=', value: 'rejected' }] },
    format: 'logs',
    sql: [LOG_SELECT, 'FROM FLOW_FLAT', `${WHERE_TIME} AND action = 'rejected'`, 'ORDER BY start_time DESC', 'LIMIT 1000'],
  },
  {
    name: 'logs of one port, newest 50',
    state: { measure: 'connections', groupBy: [], filters: [{ column: 'target_port', operator: '=', value: '22' }], topN: 50 },
    format: 'logs',
    sql: [LOG_SELECT, 'FROM FLOW_FLAT', `${WHERE_TIME} AND target_port = 22`, 'ORDER BY start_time DESC', 'LIMIT 50'],
  },
];

describe('generateQuery', () => {
  it.each(CASES)('$name', ({ state, format, sql, timeColumn, metricsColumn }) => {
    expect(generateQuery(state, format)).toEqual({ rawSql: sql.join('\n'), format, timeColumn, metricsColumn });
  });
});

describe('round trip', () => {
  it.each(CASES)('a builder query re-opens in the builder: $name', ({ state, format }) => {
    const saved = JSON.parse(JSON.stringify(applyBuilder({ refId: 'A' }, state, format)));
    expect(openingMode(saved)).toEqual({ mode: 'builder' });
    expect(saved.builder).toEqual(state);
  });

  it.each(CASES)('a hand-edited builder query opens in the code editor with a note: $name', ({ state, format }) => {
    const saved = applyBuilder({ refId: 'A' }, state, format);
    const edited = { ...saved, rawSql: `${saved.rawSql} -- mine` };
    expect(openingMode(edited)).toEqual({ mode: 'code', note: HAND_EDITED_NOTE });
  });

  it.each([
    { name: 'a query saved before the builder', query: { refId: 'A', rawSql: 'SELECT 1' } },
    { name: 'a code query that kept its builder state', query: { refId: 'A', rawSql: 'SELECT 1', editorMode: 'code' as const, builder: CASES[0].state } },
    { name: 'a legacy query', query: { refId: 'A', queryText: 'SELECT 1' } },
  ])('$name opens in the code editor without a note', ({ query }) => {
    expect(openingMode(query)).toEqual({ mode: 'code' });
  });

  it('changing the format from the builder regenerates the SQL for it', () => {
    const state = CASES[1].state;
    const table = applyBuilder({ refId: 'A', cacheTtlSeconds: 60 }, state, 'table');
    const series = applyBuilder(table, state, 'time_series');
    expect(series.rawSql).toContain('$__timeGroupAlias');
    expect(series).toMatchObject({ format: 'time_series', timeColumn: 'time', cacheTtlSeconds: 60, editorMode: 'builder' });
    expect(openingMode(series).mode).toBe('builder');
  });
});

describe('the bundled dashboard', () => {
  const file = path.resolve(__dirname, '..', '..', '..', 'content', 'dashboards', 'vpc-flow-logs.json');
  const dashboard = JSON.parse(readFileSync(file, 'utf8'));
  type Item = { targets?: unknown[]; query?: unknown; target?: unknown };
  const queries = [...dashboard.panels, ...dashboard.templating.list, ...dashboard.annotations.list]
    .flatMap((item: Item) => item.targets ?? [item.query, item.target])
    .filter((query: unknown): query is CloudSqlQuery => typeof query === 'object' && query !== null && 'rawSql' in query);

  it('has panel, variable and annotation queries to check', () => {
    expect(queries.length).toBeGreaterThan(5);
  });

  it.each(queries.map((query: CloudSqlQuery) => ({ query, sql: query.rawSql!.split('\n')[0] })))(
    'opens in the code editor, without a note, as before the builder: $sql',
    ({ query }) => {
      expect(openingMode(query)).toEqual({ mode: 'code' });
    }
  );
});

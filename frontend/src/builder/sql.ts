import { quoteSqlString } from '../query/sqlLiterals';
import { CloudSqlQuery, QueryFormat } from '../types';
import { BuilderFilter, FLOW_COLUMNS, FlowBuilderState, MEASURES } from './model';

/** The query keys the builder owns; everything else in the query is left as it was. */
export type GeneratedQuery = Required<Pick<CloudSqlQuery, 'rawSql' | 'format'>> &
  Pick<CloudSqlQuery, 'timeColumn' | 'metricsColumn'>;

/**
 * Flow-log times in FLOW_FLAT are RFC 3339 strings; `start_time` is the one the bundled dashboard
 * filters and buckets on, so builder queries agree with it.
 */
const TIME_COLUMN = 'start_time';
const SERIES_COLUMN = 'series';
/** The record columns a logs line is made of (plugin/cloudsql_cos_ts/flowlogs/loglines.py). */
const LOG_COLUMNS = [
  TIME_COLUMN,
  'action',
  'direction',
  'transport_protocol',
  'initiator_ip',
  'initiator_port',
  'target_ip',
  'target_port',
  'bytes_from_initiator',
  'bytes_from_target',
  'packets_from_initiator',
  'packets_from_target',
  'network_interface_id',
  'instance_crn',
];
/** Logs: the newest records when no Top N is set, as a logs view shows the latest lines first. */
export const DEFAULT_LOG_LINES = 1000;
const INTERVAL_PATTERN = /^\d+(ms|s|m|h|d)$/;

/** A filter value as SQL: numbers bare on integer columns, anything else a quoted string literal. */
function literal(filter: BuilderFilter): string {
  const value = filter.value.trim();
  if (FLOW_COLUMNS[filter.column].numeric && /^\d+$/.test(value)) {
    return value;
  }
  return quoteSqlString(filter.value);
}

function whereClause(state: FlowBuilderState): string {
  const conditions = [
    `$__timeFilterColumn(${TIME_COLUMN}, string)`,
    ...state.filters.map((filter) => `${filter.column} ${filter.operator} ${literal(filter)}`),
  ];
  return `WHERE ${conditions.join(' AND ')}`;
}

/** The bucket width: a typed width such as 5m when it is one, else the panel's interval. */
export function bucketWidth(interval: string | undefined): string {
  const typed = interval?.trim() ?? '';
  return INTERVAL_PATTERN.test(typed) ? typed : '$__interval';
}

/** Several group columns name one series by their values joined with a space. */
function seriesExpression(columns: string[]): string {
  return `concat_ws(' ', ${columns.map((column) => `CAST(${column} AS STRING)`).join(', ')}) AS ${SERIES_COLUMN}`;
}

function timeSeries(state: FlowBuilderState, measure: string): GeneratedQuery {
  const bucket = `${TIME_COLUMN}, ${bucketWidth(state.interval)}`;
  const groups = state.groupBy;
  const labels = groups.length > 1 ? [seriesExpression(groups)] : groups;
  const lines = [
    `SELECT $__timeGroupAlias(${bucket}), ${[...labels, measure].join(', ')}`,
    'FROM FLOW_FLAT',
    whereClause(state),
    `GROUP BY ${[`$__timeGroup(${bucket})`, ...groups].join(', ')}`,
    'ORDER BY 1',
  ];
  const metricsColumn = groups.length > 1 ? SERIES_COLUMN : groups[0];
  return { rawSql: lines.join('\n'), format: 'time_series', timeColumn: 'time', metricsColumn };
}

function table(state: FlowBuilderState, measure: string, alias: string): GeneratedQuery {
  const groups = state.groupBy;
  const lines = [`SELECT ${[...groups, measure].join(', ')}`, 'FROM FLOW_FLAT', whereClause(state)];
  if (groups.length > 0) {
    lines.push(`GROUP BY ${groups.join(', ')}`, `ORDER BY ${alias} DESC`);
  }
  if (state.topN && state.topN > 0) {
    lines.push(`LIMIT ${Math.floor(state.topN)}`);
  }
  return { rawSql: lines.join('\n'), format: 'table', timeColumn: undefined, metricsColumn: undefined };
}

/** The flow records themselves, newest first: the backend writes each as a log line. */
function logs(state: FlowBuilderState): GeneratedQuery {
  const limit = state.topN && state.topN > 0 ? Math.floor(state.topN) : DEFAULT_LOG_LINES;
  const lines = [
    `SELECT ${LOG_COLUMNS.join(', ')}`,
    'FROM FLOW_FLAT',
    whereClause(state),
    `ORDER BY ${TIME_COLUMN} DESC`,
    `LIMIT ${limit}`,
  ];
  return { rawSql: lines.join('\n'), format: 'logs', timeColumn: undefined, metricsColumn: undefined };
}

/**
 * The SQL of a builder state in the plugin's dialect (Spark SQL with the plugin's macros) and the
 * query options it needs. Pure and deterministic: the round trip compares its output with the
 * stored SQL to tell a builder query from a hand-edited one.
 */
export function generateQuery(state: FlowBuilderState, format: QueryFormat): GeneratedQuery {
  if (format === 'logs') {
    return logs(state);
  }
  const alias = state.measure;
  const measure = `${MEASURES[state.measure].expression} AS ${alias}`;
  return format === 'time_series' ? timeSeries(state, measure) : table(state, measure, alias);
}

import { FLOW_COLUMNS, MEASURES } from '../builder/model';
import { bucketWidth, DEFAULT_LOG_LINES } from '../builder/sql';
import { isBuilderSql } from '../builder/mode';
import { CloudSqlQuery, QueryFormat } from '../types';
import { migrateQuery } from './migrate';

const MAX_LENGTH = 300;
/** Hand-written SQL says its shape when it is not a table (a builder query says it in words). */
const FORMAT_SUFFIX: Partial<Record<QueryFormat, string>> = { time_series: ' (time series)', logs: ' (logs)' };

/** Comments out, whitespace collapsed: the SQL on one line, as a history entry shows it. */
function oneLine(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function describeBuilder(query: CloudSqlQuery): string {
  const state = query.builder!;
  const logs = query.format === 'logs';
  const parts = [logs ? 'Flow records' : MEASURES[state.measure].label];
  if (state.groupBy.length > 0 && !logs) {
    parts.push(`by ${state.groupBy.map((column) => FLOW_COLUMNS[column].label).join(', ')}`);
  }
  if (state.filters.length > 0) {
    const filters = state.filters.map((f) => `${FLOW_COLUMNS[f.column].label} ${f.operator} ${f.value}`);
    parts.push(`where ${filters.join(' and ')}`);
  }
  if (logs) {
    parts.push(`newest ${state.topN ?? DEFAULT_LOG_LINES} as logs`);
  } else if (query.format === 'time_series') {
    parts.push(`per ${bucketWidth(state.interval)}`);
  } else if (state.topN) {
    parts.push(`top ${state.topN}`);
  }
  return parts.join(' ');
}

/**
 * The text Grafana's query history and library show for a query: a builder query in words
 * ("Connections by Target IP where Direction = I per $__interval"), hand-written SQL on one line.
 */
export function queryDisplayText(stored: CloudSqlQuery): string {
  const query = migrateQuery(stored);
  const text = isBuilderSql(query) ? describeBuilder(query) : oneLine(query.rawSql ?? '');
  const suffix = isBuilderSql(query) ? '' : (FORMAT_SUFFIX[query.format ?? 'table'] ?? '');
  const full = `${text}${suffix}`;
  return full.length > MAX_LENGTH ? `${full.slice(0, MAX_LENGTH - 1)}…` : full;
}

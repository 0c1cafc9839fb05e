import { AdHocVariableFilter, DataFrame, MetricFindValue } from '@grafana/data';

import { SchemaInfo } from '../resources';

/** The relation whose columns are the ad-hoc filter keys (the backend filters FLOW too, by its own columns). */
const FILTERED_RELATION = 'FLOW_FLAT';
/** At most this many distinct values are offered for one key. */
export const TAG_VALUES_LIMIT = 200;

/** What the backend reads from a query's `adhocFilters` key (plugin/cloudsql_cos_ts/query/adhoc.py). */
export interface AdhocFilter {
  key: string;
  operator: string;
  value: string;
}

/** Grafana's filters of the dashboard, reduced to what the backend reads; undefined when there are none. */
export function toAdhocFilters(filters: AdHocVariableFilter[] | undefined): AdhocFilter[] | undefined {
  if (!filters || filters.length === 0) {
    return undefined;
  }
  return filters.map(({ key, operator, value }) => ({ key, operator, value }));
}

/** The flow-log columns, the keys an ad-hoc filter may use. */
export function tagKeys(schema: SchemaInfo): string[] {
  return schema.relations.find((relation) => relation.name === FILTERED_RELATION)?.columns.map((column) => column.name) ?? [];
}

/**
 * The SQL listing a key's values in the dashboard range: distinct, as text, sorted, at most
 * TAG_VALUES_LIMIT. `key` must be one of tagKeys() (the caller checks): it is written as a quoted
 * name, so even a hyphenated partition column works.
 */
export function tagValuesSql(key: string): string {
  const column = `\`${key}\``;
  return [
    `SELECT DISTINCT CAST(${column} AS STRING) AS value`,
    'FROM FLOW_FLAT',
    `WHERE $__timeFilterColumn(start_time, string) AND ${column} IS NOT NULL`,
    'ORDER BY value',
    `LIMIT ${TAG_VALUES_LIMIT}`,
  ].join('\n');
}

/** The first column of the first frame as tag values. */
export function framesToTagValues(frames: DataFrame[]): MetricFindValue[] {
  const field = frames[0]?.fields[0];
  return field ? Array.from(field.values, (value) => ({ text: String(value) })) : [];
}

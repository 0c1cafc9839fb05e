import { AdHocVariableFilter, DataFrame, DataLink, Field, FieldType } from '@grafana/data';

import { CloudSqlQuery } from '../types';
import { quoteSqlString } from './sqlLiterals';

/** The relation whose rows a drill-down shows: one row per flow, every column a filter can name. */
const RAW_RELATION = 'FLOW_FLAT';
/** The operators of a dashboard filter that carry over into the drilled-down SQL. */
const SQL_OPERATORS: Record<string, string> = { '=': '=', '!=': '!=' };

export interface DrillDownTarget {
  datasourceUid: string;
  datasourceName: string;
  /** The FLOW_FLAT columns: only labels with these names become filters. */
  columns: string[];
}

/** One column condition: `column` quoted as a name, `value` as a string literal (cast by the engine). */
function condition(column: string, operator: string, value: string): string {
  return `\`${column}\` ${operator} ${quoteSqlString(value)}`;
}

/**
 * The SQL of the raw flows behind a series: FLOW_FLAT in the link's time range (the panel's, which
 * Explore keeps), filtered by the series' labels and the dashboard's filters, newest first.
 */
export function drillDownSql(labels: Record<string, string>, filters: AdHocVariableFilter[] = []): string {
  const conditions = [
    '$__timeFilterColumn(start_time, string)',
    ...Object.entries(labels).map(([column, value]) => condition(column, '=', value)),
    ...filters.filter((filter) => filter.operator in SQL_OPERATORS).map((filter) => condition(filter.key, SQL_OPERATORS[filter.operator], filter.value)),
  ];
  return [`SELECT * FROM ${RAW_RELATION}`, `WHERE ${conditions.join('\n  AND ')}`, 'ORDER BY start_time DESC'].join('\n');
}

/** The link of one value field: Explore on the raw flows of its labels that are flow-log columns, if any. */
export function drillDownLink(field: Field, target: DrillDownTarget, filters?: AdHocVariableFilter[]): DataLink<CloudSqlQuery> | undefined {
  const labels = Object.fromEntries(Object.entries(field.labels ?? {}).filter(([name]) => target.columns.includes(name)));
  if (field.type !== FieldType.number || Object.keys(labels).length === 0) {
    return undefined;
  }
  const described = Object.entries(labels)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
  return {
    title: `Raw flows of ${described}`,
    url: '',
    internal: {
      datasourceUid: target.datasourceUid,
      datasourceName: target.datasourceName,
      query: { refId: 'A', rawSql: drillDownSql(labels, filters), format: 'table' },
    },
  };
}

/**
 * Frames with a drill-down link on each labelled value field, after the links the field already
 * has (a dashboard's own links stay first). Frames without such fields are returned as they are.
 */
export function withDrillDownLinks(frames: DataFrame[], target: DrillDownTarget, filters?: AdHocVariableFilter[]): DataFrame[] {
  return frames.map((frame) => {
    let changed = false;
    const fields = frame.fields.map((field) => {
      const link = drillDownLink(field, target, filters);
      if (!link) {
        return field;
      }
      changed = true;
      return { ...field, config: { ...field.config, links: [...(field.config.links ?? []), link] } };
    });
    return changed ? { ...frame, fields } : frame;
  });
}

/** True when some field carries labels: only then is the column list worth looking up. */
export function hasLabelledFields(frames: DataFrame[]): boolean {
  return frames.some((frame) => frame.fields.some((field) => field.labels && Object.keys(field.labels).length > 0));
}

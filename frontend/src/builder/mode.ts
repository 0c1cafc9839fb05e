import { CloudSqlQuery } from '../types';
import { DEFAULT_BUILDER, FlowBuilderState } from './model';
import { generateQuery } from './sql';

export type EditorMode = 'builder' | 'code';

export interface OpeningMode {
  mode: EditorMode;
  /** Set when a builder query was changed by hand: why it opens in the code editor. */
  note?: string;
}

export const HAND_EDITED_NOTE =
  'This query was written by the builder and then edited as SQL, so it opens in the code editor. ' +
  'Switching to the builder replaces the SQL with what the builder writes.';

/** The builder state of a query, or the default one for a query that never had the builder. */
export function builderStateOf(query: CloudSqlQuery): FlowBuilderState {
  return query.builder ?? DEFAULT_BUILDER;
}

/** True when the query's SQL is exactly what its builder state generates. */
export function isBuilderSql(query: CloudSqlQuery): boolean {
  return query.builder !== undefined && generateQuery(query.builder, query.format ?? 'table').rawSql === query.rawSql;
}

/**
 * Where a stored query opens: in the builder only when the builder wrote it and its SQL is still
 * what the builder generates; queries without `editorMode` (all dashboards before the builder)
 * open in the code editor, unchanged.
 */
export function openingMode(query: CloudSqlQuery): OpeningMode {
  if (query.editorMode !== 'builder') {
    return { mode: 'code' };
  }
  return isBuilderSql(query) ? { mode: 'builder' } : { mode: 'code', note: HAND_EDITED_NOTE };
}

/** The query after a builder change: the state and every key the generated SQL needs. */
export function applyBuilder(query: CloudSqlQuery, state: FlowBuilderState, format = query.format ?? 'table'): CloudSqlQuery {
  return { ...query, ...generateQuery(state, format), editorMode: 'builder', builder: state };
}

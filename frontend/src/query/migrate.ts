import { CloudSqlQuery, LegacyQueryKeys } from '../types';

type StoredQuery = CloudSqlQuery & LegacyQueryKeys;

const LEGACY_KEYS: Array<keyof LegacyQueryKeys> = ['queryText', 'time_column', 'metrics_column', 'get_result'];

export function hasLegacyKeys(query: StoredQuery): boolean {
  return LEGACY_KEYS.some((key) => key in query);
}

/**
 * Rewrites a query saved by IBM's original plugin to the current keys.
 * A current key that is already set wins, like in the backend's query model, so a half-migrated
 * query keeps what the user last edited.
 */
export function migrateQuery(query: StoredQuery): CloudSqlQuery {
  if (!hasLegacyKeys(query)) {
    return query;
  }
  const { queryText, time_column, metrics_column, get_result, ...current } = query;
  return {
    ...current,
    rawSql: current.rawSql ?? queryText,
    timeColumn: current.timeColumn ?? time_column,
    metricsColumn: current.metricsColumn ?? metrics_column,
    getResult: current.getResult ?? get_result,
  };
}

const VARIABLE_REF_ID = 'variable';

/** Variable queries saved by the original plugin are the SQL as a plain string. */
export function toVariableQuery(stored: StoredQuery | string | undefined): CloudSqlQuery {
  if (typeof stored === 'string') {
    return { refId: VARIABLE_REF_ID, rawSql: stored };
  }
  return migrateQuery({ ...stored, refId: stored?.refId || VARIABLE_REF_ID });
}

import { hasLegacyKeys, migrateQuery, toVariableQuery } from '../../src/query/migrate';
import { CloudSqlQuery } from '../../src/types';

describe('migrateQuery', () => {
  it('moves every key of the original plugin to the current one', () => {
    const legacy = { refId: 'A', queryText: 'SELECT 1', time_column: 'tt', metrics_column: 'ua', get_result: false };
    expect(migrateQuery(legacy)).toEqual({
      refId: 'A',
      rawSql: 'SELECT 1',
      timeColumn: 'tt',
      metricsColumn: 'ua',
      getResult: false,
    });
  });

  it('keeps a current key over its legacy twin', () => {
    const mixed = { refId: 'A', rawSql: 'SELECT 2', queryText: 'SELECT 1' };
    expect(migrateQuery(mixed)).toEqual({ refId: 'A', rawSql: 'SELECT 2' });
  });

  it('returns a current query untouched (same object)', () => {
    const current: CloudSqlQuery = { refId: 'B', rawSql: 'SELECT 3', format: 'time_series' };
    expect(migrateQuery(current)).toBe(current);
    expect(hasLegacyKeys(current)).toBe(false);
  });

  it('detects a legacy key even when its value is empty', () => {
    expect(hasLegacyKeys({ refId: 'A', get_result: undefined })).toBe(true);
  });
});

describe('toVariableQuery', () => {
  it('wraps a plain SQL string saved by the original plugin', () => {
    expect(toVariableQuery('SELECT DISTINCT target_ip FROM $__source')).toEqual({
      refId: 'variable',
      rawSql: 'SELECT DISTINCT target_ip FROM $__source',
    });
  });

  it('migrates a legacy object and keeps its refId', () => {
    expect(toVariableQuery({ refId: 'v', queryText: 'SELECT 1' })).toEqual({ refId: 'v', rawSql: 'SELECT 1' });
  });

  it('gives an empty variable a refId', () => {
    expect(toVariableQuery(undefined)).toEqual({ refId: 'variable' });
  });
});

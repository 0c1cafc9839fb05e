import { dateTime, ScopedVars } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';

import { CloudSqlQuery } from '../../src/types';
import { createDataSource, TEST_UID } from '../../testing/createDataSource';
import { createFakeTemplateSrv } from '../../testing/fakeTemplateSrv';
import { createStubBackendSrv } from '../../testing/stubBackendSrv';

const VARIABLES = {
  target_ip: '10.240.0.4',
  hosts: ['10.0.0.1', '10.0.0.2'],
  names: ["o'neil", 'plain'],
  one: ['single'],
  column: 'start_time',
};

function query(overrides: Partial<CloudSqlQuery> & Record<string, unknown>): CloudSqlQuery {
  return { refId: 'A', ...overrides } as CloudSqlQuery;
}

describe('DataSource.applyTemplateVariables', () => {
  beforeEach(() => setTemplateSrv(createFakeTemplateSrv(VARIABLES)));

  it.each([
    ['single value inserted as-is inside the user quotes', 'WHERE target_ip = "${target_ip}"', 'WHERE target_ip = "10.240.0.4"'],
    ['bare $name form', 'WHERE target_ip = "$target_ip"', 'WHERE target_ip = "10.240.0.4"'],
    ['multi-value as a quoted list for IN', 'WHERE ip IN (${hosts})', "WHERE ip IN ('10.0.0.1','10.0.0.2')"],
    ['multi-value quotes escaped', 'WHERE n IN ($names)', "WHERE n IN ('o\\'neil','plain')"],
    ['one selected value of a multi-value variable', 'WHERE n IN (${one})', "WHERE n IN ('single')"],
    ['unknown variables left alone', 'SELECT "$nope"', 'SELECT "$nope"'],
    ['macros untouched', 'WHERE $__timeFilter(start_time)', 'WHERE $__timeFilter(start_time)'],
  ])('%s', (_name, rawSql, expected) => {
    const ds = createDataSource();
    expect(ds.applyTemplateVariables(query({ rawSql }), {}).rawSql).toBe(expected);
  });

  it('uses scoped variables (repeated panels) before dashboard ones', () => {
    const ds = createDataSource();
    const scoped: ScopedVars = { target_ip: { text: 'x', value: '192.168.1.1' } };
    expect(ds.applyTemplateVariables(query({ rawSql: '"${target_ip}"' }), scoped).rawSql).toBe('"192.168.1.1"');
  });

  it('interpolates the time and metrics columns too', () => {
    const ds = createDataSource();
    const result = ds.applyTemplateVariables(query({ rawSql: 'x', timeColumn: '$column', metricsColumn: '${column}' }), {});
    expect(result.timeColumn).toBe('start_time');
    expect(result.metricsColumn).toBe('start_time');
  });

  it('sends legacy queries under the current keys', () => {
    const ds = createDataSource();
    const result = ds.applyTemplateVariables(
      query({ queryText: 'SELECT "${target_ip}"', time_column: 'tt', get_result: false }),
      {}
    ) as CloudSqlQuery & Record<string, unknown>;
    expect(result.rawSql).toBe('SELECT "10.240.0.4"');
    expect(result.timeColumn).toBe('tt');
    expect(result.getResult).toBe(false);
    expect(result).not.toHaveProperty('queryText');
  });
});

describe('DataSource.filterQuery', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['a query with SQL', { rawSql: 'SELECT 1' }, true],
    ['an empty query', { rawSql: '' }, false],
    ['a blank query', { rawSql: '  \n ' }, false],
    ['a query without SQL', {}, false],
    ['a hidden query', { rawSql: 'SELECT 1', hide: true }, false],
    ['a legacy query with queryText', { queryText: 'SELECT 1' }, true],
  ])('%s → %s', (_name, fields, expected) => {
    expect(createDataSource().filterQuery(query(fields))).toBe(expected);
  });
});

describe('DataSource defaults and resources', () => {
  it('defaults to a table query that returns its result', () => {
    expect(createDataSource().getDefaultQuery()).toEqual({ rawSql: '', format: 'table', getResult: true });
  });

  it('posts the interpolated query and the range in epoch ms to the expand resource', async () => {
    setTemplateSrv(createFakeTemplateSrv(VARIABLES));
    const { backendSrv, requests } = createStubBackendSrv();
    setBackendSrv(backendSrv);
    const range = { from: dateTime(1_700_000_000_000), to: dateTime(1_700_003_600_000), raw: { from: 'now-1h', to: 'now' } };

    const result = await createDataSource().expandSql(query({ rawSql: 'SELECT "${target_ip}" FROM $__source' }), range, 60000);

    expect(requests).toEqual([
      {
        method: 'POST',
        url: `/api/datasources/uid/${TEST_UID}/resources/expand`,
        data: {
          query: expect.objectContaining({ rawSql: 'SELECT "10.240.0.4" FROM $__source' }),
          range: { from: 1_700_000_000_000, to: 1_700_003_600_000 },
          intervalMs: 60000,
        },
      },
    ]);
    expect(result.expandedSql).toContain('SELECT "10.240.0.4" FROM cos://');
  });

  it('rejects with the backend 400 body when expansion fails', async () => {
    setTemplateSrv(createFakeTemplateSrv({}));
    setBackendSrv(createStubBackendSrv().backendSrv);
    const range = { from: dateTime(0), to: dateTime(1000), raw: { from: 'now-1h', to: 'now' } };
    await expect(createDataSource().expandSql(query({ rawSql: 'SELECT $__unknown' }), range)).rejects.toMatchObject({
      status: 400,
      data: { error: 'unknown macro $__unknown at line 1' },
    });
  });

  it('reads the macro reference and schema from the backend', async () => {
    setBackendSrv(createStubBackendSrv().backendSrv);
    const ds = createDataSource();
    expect((await ds.fetchMacroReference()).macros.map((m) => m.name)).toContain('$__timeFilter');
    expect((await ds.fetchSchema()).relations[0].name).toBe('FLOW_FLAT');
  });
});

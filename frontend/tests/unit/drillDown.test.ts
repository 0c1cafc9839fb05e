import { lastValueFrom } from 'rxjs';

import { CoreApp, DataFrame, DataFrameJSON, DataQueryRequest, dateTime, FieldType, toDataFrame } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';

import { drillDownLink, drillDownSql, withDrillDownLinks } from '../../src/query/drillDown';
import { CloudSqlQuery } from '../../src/types';
import { createDataSource, TEST_UID } from '../../testing/createDataSource';
import { createFakeTemplateSrv } from '../../testing/fakeTemplateSrv';
import { createStubBackendSrv } from '../../testing/stubBackendSrv';

const TARGET = { datasourceUid: 'flows', datasourceName: 'Flow logs', columns: ['action', 'target_ip', 'target_port'] };
const TIME = '$__timeFilterColumn(start_time, string)';

function series(labels: Record<string, string> | undefined, type = FieldType.number): DataFrame {
  return toDataFrame({
    fields: [
      { name: 'time', type: FieldType.time, values: [0, 60000] },
      { name: 'value', type, values: [1, 2], labels },
    ],
  });
}

describe('drillDownSql', () => {
  it.each([
    ['no labels', {}, [], `SELECT * FROM FLOW_FLAT\nWHERE ${TIME}\nORDER BY start_time DESC`],
    ['one label', { action: 'rejected' }, [], `SELECT * FROM FLOW_FLAT\nWHERE ${TIME}\n  AND \`action\` = 'rejected'\nORDER BY start_time DESC`],
    [
      'two labels, a quote in a value',
      { target_ip: '10.0.0.5', action: "it's" },
      [],
      `SELECT * FROM FLOW_FLAT\nWHERE ${TIME}\n  AND \`target_ip\` = '10.0.0.5'\n  AND \`action\` = 'it\\'s'\nORDER BY start_time DESC`,
    ],
    [
      "the dashboard's = and != filters, not a regex one",
      { target_port: '443' },
      [
        { key: 'direction', operator: '=', value: 'I' },
        { key: 'action', operator: '!=', value: 'accepted' },
        { key: 'initiator_ip', operator: '=~', value: '10.*' },
      ],
      `SELECT * FROM FLOW_FLAT\nWHERE ${TIME}\n  AND \`target_port\` = '443'\n  AND \`direction\` = 'I'\n  AND \`action\` != 'accepted'\nORDER BY start_time DESC`,
    ],
  ])('%s', (_name, labels, filters, sql) => {
    expect(drillDownSql(labels, filters)).toBe(sql);
  });
});

describe('drillDownLink', () => {
  it('links a series to Explore on the raw flows of its flow-log labels only', () => {
    const field = series({ action: 'rejected', country: 'DE' }).fields[1];
    expect(drillDownLink(field, TARGET)).toEqual({
      title: 'Raw flows of action rejected',
      url: '',
      internal: {
        datasourceUid: 'flows',
        datasourceName: 'Flow logs',
        query: { refId: 'A', format: 'table', rawSql: drillDownSql({ action: 'rejected' }) },
      },
    });
  });

  it.each([
    ['no labels', series(undefined).fields[1]],
    ['labels that are not flow-log columns', series({ country: 'DE' }).fields[1]],
    ['the time field', series({ action: 'rejected' }).fields[0]],
    ['a text field', series({ action: 'rejected' }, FieldType.string).fields[1]],
  ])('makes no link for %s', (_name, field) => {
    expect(drillDownLink(field, TARGET)).toBeUndefined();
  });
});

describe('withDrillDownLinks', () => {
  it("adds the link after the field's own links and leaves other frames as they are", () => {
    const own = { title: 'dashboard link', url: 'https://example.invalid/' };
    const labelled = series({ action: 'accepted' });
    labelled.fields[1].config = { links: [own] };
    const table = series(undefined);
    const [linked, untouched] = withDrillDownLinks([labelled, table], TARGET);
    expect(linked.fields[1].config.links?.map((link) => link.title)).toEqual(['dashboard link', 'Raw flows of action accepted']);
    expect(labelled.fields[1].config.links).toEqual([own]);
    expect(untouched).toBe(table);
  });
});

describe('DataSource.query drill-down', () => {
  const RANGE = { from: dateTime(0), to: dateTime(3600000), raw: { from: 'now-1h', to: 'now' } };
  const request = (filters?: DataQueryRequest<CloudSqlQuery>['filters']): DataQueryRequest<CloudSqlQuery> => ({
    requestId: 'R1',
    app: CoreApp.Dashboard,
    timezone: 'utc',
    range: RANGE,
    interval: '1m',
    intervalMs: 60000,
    scopedVars: {},
    targets: [{ refId: 'A', rawSql: 'SELECT 1', format: 'time_series' }],
    filters,
    startTime: 0,
  });
  const frame = (labels?: Record<string, string>): DataFrameJSON => ({
    schema: {
      fields: [
        { name: 'time', type: FieldType.time },
        { name: 'value', type: FieldType.number, labels },
      ],
    },
    data: { values: [[0], [5]] },
  });

  it('links each series whose labels are flow-log columns, with the filters of the panel', async () => {
    setTemplateSrv(createFakeTemplateSrv({}));
    const stub = createStubBackendSrv({ frames: [frame({ target_ip: '10.0.0.5' })] });
    setBackendSrv(stub.backendSrv);
    const response = await lastValueFrom(createDataSource().query(request([{ key: 'initiator_ip', operator: '=', value: '10.9.9.9' }])));
    const links = (response.data as DataFrame[])[0].fields[1].config.links;
    expect(links).toEqual([
      expect.objectContaining({
        title: 'Raw flows of target_ip 10.0.0.5',
        internal: expect.objectContaining({
          datasourceUid: TEST_UID,
          datasourceName: 'IBM COS flow logs',
          query: expect.objectContaining({
            rawSql: drillDownSql({ target_ip: '10.0.0.5' }, [{ key: 'initiator_ip', operator: '=', value: '10.9.9.9' }]),
          }),
        }),
      }),
    ]);
  });

  it('does not look the columns up for an answer without labels', async () => {
    setTemplateSrv(createFakeTemplateSrv({}));
    const stub = createStubBackendSrv({ frames: [frame()] });
    setBackendSrv(stub.backendSrv);
    const response = await lastValueFrom(createDataSource().query(request()));
    expect((response.data as DataFrame[])[0].fields[1].config.links).toBeUndefined();
    expect(stub.requests.map((r) => r.url)).toEqual([expect.stringMatching(/^\/api\/ds\/query/)]);
  });
});

import { of } from 'rxjs';

import { AdHocVariableFilter, DataQueryRequest, dateTime, FieldType, toDataFrame } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';

import { framesToTagValues, TAG_VALUES_LIMIT, tagValuesSql, toAdhocFilters } from '../../src/query/adhoc';
import { CloudSqlQuery } from '../../src/types';
import { createDataSource } from '../../testing/createDataSource';
import { createFakeTemplateSrv } from '../../testing/fakeTemplateSrv';
import { createStubBackendSrv } from '../../testing/stubBackendSrv';

const FILTERS: AdHocVariableFilter[] = [
  { key: 'target_ip', operator: '=', value: "10.0.0.1' OR '1'='1" },
  { key: 'target_port', operator: '!=', value: '22', keyLabel: 'port' } as AdHocVariableFilter,
];

describe('ad-hoc filters', () => {
  beforeEach(() => {
    setBackendSrv(createStubBackendSrv().backendSrv);
    setTemplateSrv(createFakeTemplateSrv({}));
  });

  it.each([
    { name: 'none', filters: undefined, sent: undefined },
    { name: 'an empty list', filters: [], sent: undefined },
    {
      name: 'key, operator and value only, the value untouched',
      filters: FILTERS,
      sent: [
        { key: 'target_ip', operator: '=', value: "10.0.0.1' OR '1'='1" },
        { key: 'target_port', operator: '!=', value: '22' },
      ],
    },
  ])('go to the backend as adhocFilters: $name', ({ filters, sent }) => {
    expect(toAdhocFilters(filters)).toEqual(sent);
    const query = createDataSource().applyTemplateVariables({ refId: 'A', rawSql: 'SELECT 1' }, {}, filters);
    expect(query.adhocFilters).toEqual(sent);
    expect(query.rawSql).toBe('SELECT 1');
  });

  it('offers the FLOW_FLAT columns as keys', async () => {
    const keys = (await createDataSource().getTagKeys()).map((value) => value.text);
    expect(keys).toContain('target_ip');
    expect(keys).toContain('start_time');
  });

  it('lists the values of a known key with a bounded query under the other filters', async () => {
    const datasource = createDataSource();
    const frame = toDataFrame({ fields: [{ name: 'value', type: FieldType.string, values: ['10.0.0.1', '10.0.0.2'] }] });
    const query = vi.spyOn(datasource, 'query').mockReturnValue(of({ data: [frame] }));
    const timeRange = { from: dateTime(0), to: dateTime(1000), raw: { from: 'now-1h', to: 'now' } };
    const values = await datasource.getTagValues({ key: 'target_ip', filters: FILTERS.slice(1), timeRange });
    expect(values).toEqual([{ text: '10.0.0.1' }, { text: '10.0.0.2' }]);
    const request = query.mock.calls[0][0] as DataQueryRequest<CloudSqlQuery>;
    expect(request.targets[0].rawSql).toBe(tagValuesSql('target_ip'));
    expect(request.filters).toEqual(FILTERS.slice(1));
    expect(request.range).toBe(timeRange);
  });

  it('answers nothing, and runs nothing, for a key that is not a column', async () => {
    const datasource = createDataSource();
    const query = vi.spyOn(datasource, 'query');
    expect(await datasource.getTagValues({ key: 'x` FROM y --', filters: [] })).toEqual([]);
    expect(query).not.toHaveBeenCalled();
  });

  it('writes the key as a quoted name and bounds the list', () => {
    expect(tagValuesSql('vnic-id')).toBe(
      [
        'SELECT DISTINCT CAST(`vnic-id` AS STRING) AS value',
        'FROM FLOW_FLAT',
        'WHERE $__timeFilterColumn(start_time, string) AND `vnic-id` IS NOT NULL',
        'ORDER BY value',
        `LIMIT ${TAG_VALUES_LIMIT}`,
      ].join('\n')
    );
  });

  it('reads values from the first column of the first frame, or none', () => {
    expect(framesToTagValues([])).toEqual([]);
    const frame = toDataFrame({ fields: [{ name: 'value', type: FieldType.number, values: [22, 443] }] });
    expect(framesToTagValues([frame])).toEqual([{ text: '22' }, { text: '443' }]);
  });
});

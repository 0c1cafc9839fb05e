import { DataQueryRequest, FieldType, toDataFrame } from '@grafana/data';
import { of } from 'rxjs';
import { firstValueFrom } from 'rxjs';

import type { DataSource } from '../../src/datasource';
import { frameToMetricFindValues, framesToMetricFindValues } from '../../src/query/variableValues';
import { CloudSqlQuery } from '../../src/types';
import { CloudSqlVariableSupport } from '../../src/variableSupport';

const oneColumn = toDataFrame({ fields: [{ name: 'target_ip', type: FieldType.string, values: ['10.0.0.1', '10.0.0.2'] }] });
const twoColumns = toDataFrame({
  fields: [
    { name: 'name', type: FieldType.string, values: ['web', 'db'] },
    { name: 'ip', type: FieldType.string, values: ['10.0.0.1', '10.0.0.2'] },
  ],
});

describe('frameToMetricFindValues', () => {
  it('one column: text = value', () => {
    expect(frameToMetricFindValues(oneColumn)).toEqual([
      { text: '10.0.0.1', value: '10.0.0.1' },
      { text: '10.0.0.2', value: '10.0.0.2' },
    ]);
  });

  it('two columns: first is the text, second the value', () => {
    expect(frameToMetricFindValues(twoColumns)).toEqual([
      { text: 'web', value: '10.0.0.1' },
      { text: 'db', value: '10.0.0.2' },
    ]);
  });

  it('more columns: only the first two count', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'a', values: ['x'] },
        { name: 'b', values: ['y'] },
        { name: 'c', values: ['z'] },
      ],
    });
    expect(frameToMetricFindValues(frame)).toEqual([{ text: 'x', value: 'y' }]);
  });

  it('numbers become text and nulls empty text', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'port', type: FieldType.number, values: [443, null] },
        { name: 'count', type: FieldType.number, values: [7, 8] },
      ],
    });
    expect(frameToMetricFindValues(frame)).toEqual([
      { text: '443', value: '7' },
      { text: '', value: '8' },
    ]);
  });

  it('a frame without fields gives nothing; several frames are concatenated', () => {
    expect(frameToMetricFindValues(toDataFrame({ fields: [] }))).toEqual([]);
    expect(framesToMetricFindValues([oneColumn, twoColumns])).toHaveLength(4);
  });
});

describe('CloudSqlVariableSupport', () => {
  it('runs the variable SQL as a table query and answers with MetricFindValues', async () => {
    const query = vi.fn((_request: DataQueryRequest<CloudSqlQuery>) => of({ data: [twoColumns] }));
    const support = new CloudSqlVariableSupport({ query } as unknown as DataSource);
    const request = {
      targets: ['SELECT name, ip FROM hosts' as unknown as CloudSqlQuery],
    } as DataQueryRequest<CloudSqlQuery>;

    const response = await firstValueFrom(support.query(request));

    expect(query.mock.calls[0][0].targets).toEqual([
      { refId: 'variable', rawSql: 'SELECT name, ip FROM hosts', format: 'table', getResult: true },
    ]);
    expect(response.data).toEqual([
      { text: 'web', value: '10.0.0.1' },
      { text: 'db', value: '10.0.0.2' },
    ]);
  });
});

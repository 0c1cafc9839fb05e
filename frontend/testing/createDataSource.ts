import { DataSourceInstanceSettings, DataSourcePluginMeta } from '@grafana/data';

import { DataSource } from '../src/datasource';
import { CloudSqlOptions } from '../src/types';

export const TEST_UID = 'cloudsql-test';

export function createDataSource(jsonData: CloudSqlOptions = {}): DataSource {
  const settings: DataSourceInstanceSettings<CloudSqlOptions> = {
    id: 1,
    uid: TEST_UID,
    type: 'ibm-cloudsqlcos-datasource',
    name: 'IBM COS flow logs',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: { id: 'ibm-cloudsqlcos-datasource' } as DataSourcePluginMeta,
  };
  return new DataSource(settings);
}

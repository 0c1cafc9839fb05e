import { DataSourceInstanceSettings, DataSourcePluginMeta } from '@grafana/data';

import { DataSource } from '../src/datasource';
import { CloudSqlOptions } from '../src/types';

export const TEST_UID = 'cloudsql-test';

/** Instance settings as Grafana passes them to the DataSource constructor. */
export function testInstanceSettings(jsonData: CloudSqlOptions = {}): DataSourceInstanceSettings<CloudSqlOptions> {
  return {
    id: 1,
    uid: TEST_UID,
    type: 'ibm-cloudsqlcos-datasource',
    name: 'IBM COS flow logs',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: { id: 'ibm-cloudsqlcos-datasource' } as DataSourcePluginMeta,
  };
}

export function createDataSource(jsonData: CloudSqlOptions = {}): DataSource {
  return new DataSource(testInstanceSettings(jsonData));
}

import { CloudSqlSettings } from '../src/config/settingsUpdate';
import { CloudSqlOptions } from '../src/types';

/** A datasource settings object as Grafana hands it to the config editor. */
export function createSettings(
  jsonData: CloudSqlOptions = {},
  secureJsonFields: Record<string, boolean> = {}
): CloudSqlSettings {
  return {
    id: 1,
    uid: 'cloudsql-test',
    orgId: 1,
    name: 'IBM COS flow logs',
    type: 'ibm-cloudsqlcos-datasource',
    typeName: 'cloudsql-cos-ts',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData,
    secureJsonFields,
  };
}

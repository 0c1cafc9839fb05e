import { lastValueFrom } from 'rxjs';

import { DataSourceInstanceSettings, DataSourcePluginMeta } from '@grafana/data';
import { EchoSrv, getBackendSrv, HealthCheckError, setBackendSrv, setEchoSrv, setTemplateSrv } from '@grafana/runtime';

import { CloudSqlSettings } from '../src/config/settingsUpdate';
import { CloudSqlOptions } from '../src/types';
import { createFakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { createHttpBackendSrv } from '../testing/httpBackendSrv';
import { createSettings } from '../testing/settings';
import { mountHarness } from './app';
import { loadBuiltPlugin } from './builtPlugin';
import { range } from './panel';
import { TestResult } from './saveAndTest';

/** The datasource as Grafana's API shows it (GET /api/datasources/uid/<uid>). */
interface StoredDatasource {
  id: number;
  uid: string;
  orgId: number;
  name: string;
  type: string;
  jsonData: CloudSqlOptions;
  secureJsonFields: Record<string, boolean>;
  version: number;
}

/** What the config editor edits: the stored datasource in the settings shape Grafana's page passes. */
function toSettings(stored: StoredDatasource): CloudSqlSettings {
  const { id, uid, orgId, name, type, version } = stored;
  return { ...createSettings(stored.jsonData, stored.secureJsonFields), id, uid, orgId, name, type, version };
}

/** What the DataSource constructor gets from Grafana's boot data for the stored datasource. */
function toInstanceSettings(stored: StoredDatasource): DataSourceInstanceSettings<CloudSqlOptions> {
  const { id, uid, name, type, jsonData } = stored;
  return { id, uid, name, type, jsonData, access: 'proxy', readOnly: false, meta: { id: type } as DataSourcePluginMeta };
}

async function call<T>(method: string, url: string, data?: unknown): Promise<T> {
  return (await lastValueFrom(getBackendSrv().fetch<T>({ method, url, data }))).data;
}

/**
 * dist/module.js through SystemJS on the real backend: every call the plugin makes goes over HTTP
 * to this page's origin, whose /api/* the test server hands to the Grafana-less host and so to
 * the plugin process built in dist/. `?uid=` names the provisioned datasource.
 */
async function main() {
  const uid = new URLSearchParams(window.location.search).get('uid') ?? '';
  const { backendSrv, requests } = createHttpBackendSrv();
  setBackendSrv(backendSrv);
  setTemplateSrv(createFakeTemplateSrv({ target_ip: '10.240.0.4', hosts: ['10.240.0.4', '10.240.1.4'] }));
  // A failed health check is reported to Grafana's analytics; nothing listens here.
  setEchoSrv({ addEvent: () => {} } as unknown as EchoSrv);

  const stored = await call<StoredDatasource>('GET', `/api/datasources/uid/${uid}`);
  const { DataSourceClass, QueryEditor, ConfigEditor } = await loadBuiltPlugin();

  // Grafana's datasource page: PUT the settings, then test a datasource built from what was saved.
  const saveAndTest = async (options: CloudSqlSettings) => {
    const answer = await call<{ datasource: StoredDatasource }>('PUT', `/api/datasources/uid/${uid}`, options);
    const saved = new DataSourceClass(toInstanceSettings(answer.datasource));
    let result: TestResult;
    try {
      const { message } = await saved.testDatasource();
      result = { status: 'success', message };
    } catch (rejection) {
      const { message, error } = rejection as { message: string; error?: HealthCheckError };
      result = { status: 'error', message, details: error?.details };
    }
    return { saved: toSettings(answer.datasource), result };
  };

  const datasource = new DataSourceClass(toInstanceSettings(stored));
  // For specs that call the datasource as Grafana's dashboard does (ad-hoc tag keys and values).
  Object.assign(window, { harness: { datasource, range } });
  mountHarness({ datasource, QueryEditor, ConfigEditor }, requests, { settings: toSettings(stored), saveAndTest });
}

main().catch((error: Error) => {
  document.getElementById('root')!.textContent = `harness: ${error.message}`;
  throw error;
});

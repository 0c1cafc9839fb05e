import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';

import { CoreApp, createTheme, dateTime, ThemeContext } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';

import { ConfigEditor } from '../src/components/ConfigEditor';
import { QueryEditor } from '../src/components/QueryEditor';
import { CloudSqlSettings } from '../src/config/settingsUpdate';
import { CloudSqlQuery } from '../src/types';
import { createDataSource } from '../testing/createDataSource';
import { createFakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { createSettings } from '../testing/settings';
import { createStubBackendSrv } from '../testing/stubBackendSrv';

/**
 * The real editors inside Grafana's theme, with the backend answered by canned JSON. The page
 * shows one editor (?view=query|config, ?app=explore|unified-alerting for the compact layout) and
 * dumps its state into <pre data-testid="state"> for the browser specs to read.
 */
const params = new URLSearchParams(window.location.search);
const view = params.get('view') ?? 'query';
const app = (params.get('app') as CoreApp | null) ?? CoreApp.Dashboard;

const stub = createStubBackendSrv();
setBackendSrv(stub.backendSrv);
setTemplateSrv(createFakeTemplateSrv({ target_ip: '10.240.0.4', hosts: ['10.0.0.1', '10.0.0.2'] }));
const datasource = createDataSource();
const range = {
  from: dateTime(Date.UTC(2026, 0, 1)),
  to: dateTime(Date.UTC(2026, 0, 1, 6)),
  raw: { from: 'now-6h', to: 'now' },
};

function StateDump({ state }: { state: object }) {
  return (
    <pre data-testid="state" style={{ marginTop: 16, fontSize: 11 }}>
      {JSON.stringify({ ...state, requests: stub.requests.map((r) => `${r.method} ${r.url}`) }, null, 2)}
    </pre>
  );
}

function QueryView() {
  const [query, setQuery] = useState<CloudSqlQuery>({ refId: 'A', ...datasource.getDefaultQuery() });
  const [runs, setRuns] = useState(0);
  return (
    <>
      <QueryEditor
        query={query}
        onChange={setQuery}
        onRunQuery={() => setRuns((count) => count + 1)}
        datasource={datasource}
        range={range}
        app={app}
      />
      <StateDump state={{ query, runs }} />
    </>
  );
}

function ConfigView() {
  const [options, setOptions] = useState<CloudSqlSettings>(createSettings({}, { sparkToken: true }));
  return (
    <>
      <ConfigEditor options={options} onOptionsChange={setOptions} />
      <StateDump state={{ jsonData: options.jsonData, secureJsonData: options.secureJsonData, secureJsonFields: options.secureJsonFields }} />
    </>
  );
}

function Harness() {
  return (
    <ThemeContext.Provider value={createTheme({ colors: { mode: 'dark' } })}>
      <GlobalStyles />
      <main style={{ padding: 16, maxWidth: 1100 }}>{view === 'config' ? <ConfigView /> : <QueryView />}</main>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<Harness />);

import React, { ComponentType, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { lastValueFrom } from 'rxjs';

import { AdHocVariableFilter, CoreApp, createTheme, DataQueryResponse, LoadingState, PanelData, ThemeContext } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';

import type { ConfigEditor } from '../src/components/ConfigEditor';
import type { QueryEditor } from '../src/components/QueryEditor';
import { CloudSqlSettings } from '../src/config/settingsUpdate';
import type { DataSource } from '../src/datasource';
import { CloudSqlQuery } from '../src/types';
import { createFakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { createSettings } from '../testing/settings';
import { createStubBackendSrv } from '../testing/stubBackendSrv';
import { panelRequest, QueryResult, range } from './panel';
import { SaveAndTest, TestResult } from './saveAndTest';

/** What a harness page renders: the editors and datasource, from the sources or from dist/module.js. */
export interface HarnessPlugin {
  datasource: DataSource;
  QueryEditor: ComponentType<React.ComponentProps<typeof QueryEditor>>;
  ConfigEditor: ComponentType<React.ComponentProps<typeof ConfigEditor>>;
}

/**
 * A page on a real backend: the config editor starts from the stored datasource and gets a
 * Save & test button, and the query editor's Run sends the query and shows the frames.
 */
export interface HarnessBackend {
  settings: CloudSqlSettings;
  /** Saves the settings, then tests the saved datasource; answers the settings as saved. */
  saveAndTest(options: CloudSqlSettings): Promise<{ saved: CloudSqlSettings; result: TestResult }>;
}

/** Grafana services the editors reach through @grafana/runtime, answered by canned JSON. */
export function installStubServices() {
  const stub = createStubBackendSrv();
  setBackendSrv(stub.backendSrv);
  setTemplateSrv(createFakeTemplateSrv({ target_ip: '10.240.0.4', hosts: ['10.0.0.1', '10.0.0.2'] }));
  return stub;
}

/**
 * Renders one editor inside Grafana's dark theme (?view=query|config; ?app=explore or
 * unified-alerting for the compact layout; ?query=<JSON> for the saved query the editor opens;
 * ?adhoc=<JSON> for the dashboard's ad-hoc filters) and dumps its state into <pre data-testid="state">
 * for the browser specs to read. With a `backend`, Run and Save & test do what Grafana's panel
 * and datasource page do.
 */
export function mountHarness(
  { datasource, QueryEditor, ConfigEditor }: HarnessPlugin,
  requests: Array<{ method: string; url: string }>,
  backend?: HarnessBackend
) {
  const params = new URLSearchParams(window.location.search);
  const view = params.get('view') ?? 'query';
  const app = (params.get('app') as CoreApp | null) ?? CoreApp.Dashboard;
  const saved = params.get('query');
  const initialQuery: CloudSqlQuery = saved ? JSON.parse(saved) : { refId: 'A', ...datasource.getDefaultQuery() };
  const adhoc = params.get('adhoc');
  const filters: AdHocVariableFilter[] | undefined = adhoc ? JSON.parse(adhoc) : undefined;

  function StateDump({ state }: { state: object }) {
    return (
      <pre data-testid="state" style={{ marginTop: 16, fontSize: 11 }}>
        {JSON.stringify({ ...state, requests: requests.map((r) => `${r.method} ${r.url}`) }, null, 2)}
      </pre>
    );
  }

  function QueryView() {
    const [query, setQuery] = useState<CloudSqlQuery>(initialQuery);
    const [runs, setRuns] = useState(0);
    const [response, setResponse] = useState<DataQueryResponse>();
    // What Grafana's query runner hands the editor: the running request and its state (Stop needs both).
    const [data, setData] = useState<PanelData>();
    // Editors call onChange and then onRunQuery in one go; like Grafana's query runner, Run reads
    // the latest query, not the one of the last render.
    const latest = useRef({ query, runs });
    const change = (next: CloudSqlQuery) => {
      latest.current.query = next;
      setQuery(next);
    };
    const run = async () => {
      const count = ++latest.current.runs;
      setRuns(count);
      if (backend) {
        const request = panelRequest(datasource, latest.current.query, count, app, filters);
        setData({ state: LoadingState.Loading, series: [], request, timeRange: range });
        const answer = await lastValueFrom(datasource.query(request));
        setResponse(answer);
        setData({ state: LoadingState.Done, series: answer.data, request, timeRange: range });
      }
    };
    return (
      <>
        <QueryEditor
          query={query}
          onChange={change}
          onRunQuery={run}
          datasource={datasource}
          range={range}
          app={app}
          data={data}
        />
        {response && <QueryResult response={response} />}
        <StateDump state={{ query, runs }} />
      </>
    );
  }

  function ConfigView() {
    const [options, setOptions] = useState<CloudSqlSettings>(backend?.settings ?? createSettings({}, { sparkToken: true }));
    const [result, setResult] = useState<TestResult>();
    const saveAndTest = async (current: CloudSqlSettings) => {
      setResult(undefined);
      const { saved, result } = await backend!.saveAndTest(current);
      setOptions(saved);
      setResult(result);
    };
    return (
      <>
        <ConfigEditor options={options} onOptionsChange={setOptions} />
        {backend && <SaveAndTest onClick={() => saveAndTest(options)} result={result} />}
        <StateDump
          state={{
            jsonData: options.jsonData,
            secureJsonData: options.secureJsonData,
            secureJsonFields: options.secureJsonFields,
          }}
        />
      </>
    );
  }

  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={createTheme({ colors: { mode: 'dark' } })}>
      <GlobalStyles />
      <main style={{ padding: 16, maxWidth: 1100 }}>{view === 'config' ? <ConfigView /> : <QueryView />}</main>
    </ThemeContext.Provider>
  );
}

// The built dist/module.js (SystemJS, @grafana/* as externals) on the real backend: each call the
// plugin's code makes goes page → /api/* → Grafana-less host → the plugin process from dist/.
import { countFlows, LOAD_TIMEOUT_MS, openQueryView, PAGE, readFrame, RESOURCES, runQuery } from '../backendHelpers.mjs';
import { DATASOURCE_UID, FLOWLOGS_RANGE } from '../host.mjs';
import { assert, typeSql, waitForState } from '../helpers.mjs';

export default [
  {
    name: 'real-backend-query-complete-preview-run',
    async run(page, { baseUrl, screenshotDir, host }) {
      await openQueryView(page, baseUrl);
      await typeSql(page, 'SELECT target_ip, count(*) AS flows FROM FLOW_FLAT WHERE direction = "I" AND $__timeFilterC');
      // Completion from the backend's `macros` resource.
      const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: '$__timeFilterColumn' });
      await suggestion.first().waitFor({ timeout: 10000 });
      await page.keyboard.press('Enter');
      await page.keyboard.type('(start_time, string) GROUP BY target_ip ORDER BY target_ip');

      // The preview shows the backend's `expand` answer for the panel's range: the macros expanded
      // (IBM's dialect), then the SQL DuckDB is sent.
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      const expanded = await page.getByTestId('preview-expanded-sql').textContent({ timeout: LOAD_TIMEOUT_MS });
      assert.match(expanded, /to_timestamp\(start_time\) >= to_timestamp\('2026-01-01T00:00:00\.000Z'\)/);
      assert.match(expanded, /to_timestamp\(start_time\) <= to_timestamp\('2026-01-01T06:00:00\.000Z'\)/);
      const engineSql = await page.getByTestId('preview-sql').textContent();
      assert.match(engineSql, /CAST\('2026-01-01T06:00:00\.000Z' AS TIMESTAMPTZ\)/);
      for (const text of [expanded, engineSql]) {
        assert.doesNotMatch(text, /\$__/);
      }
      await page.getByTestId('sql-preview').screenshot({ path: `${screenshotDir}/real-backend-preview.png` });

      // Run: one POST /api/ds/query, a frame whose rows match the sample data.
      const { response } = await runQuery(page);
      assert.equal(response.status(), 200);
      const frame = await readFrame(page);
      assert.deepEqual(frame.columns, ['target_ip', 'flows']);
      const expected = await countFlows(host.flowlogsDir, (record) => record.direction === 'I', (record) => record.target_ip);
      assert.equal(expected.length, 2, 'two vNICs receive inbound flows');
      assert.deepEqual(frame.rows, expected);
      await page.getByTestId('query-result').screenshot({ path: `${screenshotDir}/real-backend-frame.png` });

      const { query, requests } = await waitForState(page, (s) => assert.equal(s.runs, 1));
      assert.equal(
        query.rawSql,
        'SELECT target_ip, count(*) AS flows FROM FLOW_FLAT WHERE direction = "I" AND $__timeFilterColumn(start_time, string) GROUP BY target_ip ORDER BY target_ip'
      );
      for (const call of [`GET ${RESOURCES}/macros`, `POST ${RESOURCES}/expand`, 'POST /api/ds/query?ds_type=ibm-cloudsqlcos-datasource&requestId=harness-1']) {
        assert.ok(requests.includes(call), `${call} in ${requests.join(', ')}`);
      }
    },
  },
  {
    name: 'real-backend-template-variable',
    async run(page, { baseUrl, host }) {
      await openQueryView(page, baseUrl);
      // The page's dashboard variable target_ip is 10.240.0.4 (harness/backend.tsx).
      await typeSql(
        page,
        'SELECT action, count(*) AS flows FROM FLOW_FLAT WHERE target_ip = "${target_ip}" AND $__timeFilterColumn(start_time, string) GROUP BY action ORDER BY action'
      );
      const { sent, response } = await runQuery(page);
      assert.equal(response.status(), 200);
      // The frontend filled the variable in before sending; the macro is the backend's to expand.
      assert.equal(sent.queries.length, 1);
      assert.equal(
        sent.queries[0].rawSql,
        'SELECT action, count(*) AS flows FROM FLOW_FLAT WHERE target_ip = "10.240.0.4" AND $__timeFilterColumn(start_time, string) GROUP BY action ORDER BY action'
      );
      assert.deepEqual(sent.queries[0].datasource, { type: 'ibm-cloudsqlcos-datasource', uid: DATASOURCE_UID });
      assert.deepEqual([sent.from, sent.to], [String(Date.parse(FLOWLOGS_RANGE.start)), String(Date.parse(FLOWLOGS_RANGE.end))]);
      const frame = await readFrame(page);
      assert.deepEqual(frame.columns, ['action', 'flows']);
      const expected = await countFlows(host.flowlogsDir, (record) => record.target_ip === '10.240.0.4', (record) => record.action);
      assert.ok(expected.length > 0, 'the sample data has flows to 10.240.0.4');
      assert.deepEqual(frame.rows, expected);
    },
  },
  {
    name: 'real-backend-broken-macro',
    // The editor's estimate of the broken SQL is a 400 too (its line says why).
    expectedResourceErrors: [/\/resources\/expand$/, /\/resources\/estimate$/, /\/api\/ds\/query\?/],
    async run(page, { baseUrl, screenshotDir }) {
      await openQueryView(page, baseUrl);
      await typeSql(page, 'SELECT $__timeGroup(start_time, fortnight) AS t, count(*) FROM FLOW_FLAT GROUP BY 1');
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      await page.getByText('The query cannot be expanded').waitFor({ timeout: LOAD_TIMEOUT_MS });
      const previewError = await page.getByTestId('sql-preview').textContent();

      const { response } = await runQuery(page);
      assert.equal(response.status(), 400);
      const body = await response.json();
      assert.equal(body.results.A.status, 400);
      assert.match(body.results.A.error, /\$__timeGroup .*'fortnight' is not an interval/);
      // The page shows the backend's message, the one the preview gave too.
      const shown = await page.getByTestId('query-error').textContent({ timeout: LOAD_TIMEOUT_MS });
      assert.ok(shown.includes(body.results.A.error), `${shown} shows ${body.results.A.error}`);
      assert.ok(previewError.includes(body.results.A.error), `${previewError} shows ${body.results.A.error}`);
      await page.getByTestId('query-result').screenshot({ path: `${screenshotDir}/real-backend-broken-macro.png` });
    },
  },
  {
    name: 'real-backend-config-save-and-test',
    expectedResourceErrors: [/\/health$/],
    async run(page, { baseUrl, screenshotDir, host }) {
      await page.goto(`${baseUrl}/${PAGE}&view=config`);
      await page.getByTestId('config-editor').waitFor({ timeout: LOAD_TIMEOUT_MS });
      const source = page.getByLabel('Source', { exact: true });
      assert.equal(await source.inputValue(), host.flowlogsDir, 'the editor starts from the provisioned datasource');

      // A folder that does not exist: the health check's source stage fails and says why.
      await source.fill(`${host.flowlogsDir}-missing`);
      await page.getByRole('button', { name: 'Save & test' }).click();
      const result = page.getByTestId('test-result');
      await result.waitFor({ timeout: LOAD_TIMEOUT_MS });
      assert.equal(await result.getAttribute('data-status'), 'error');
      const failed = await result.textContent();
      assert.match(failed, /source failed: the source folder .*-missing does not exist/);
      assert.match(failed, /scan: skipped/);
      await page.screenshot({ path: `${screenshotDir}/real-backend-save-test-error.png`, fullPage: true });

      // The right folder and a row limit: saved, then OK with every stage.
      await source.fill(host.flowlogsDir);
      await page.getByLabel('Row limit').fill('5000');
      await page.getByRole('button', { name: 'Save & test' }).click();
      await page.locator('[data-testid="test-result"][data-status="success"]').waitFor({ timeout: LOAD_TIMEOUT_MS });
      const ok = await result.textContent();
      assert.match(ok, /Data source is working/);
      for (const stage of ['settings', 'credentials', 'source', 'scan', 'destination', 'engine']) {
        assert.match(ok, new RegExp(`${stage}: `), `stage ${stage} in ${ok}`);
      }
      assert.match(ok, /engine: DuckDB/);
      await page.screenshot({ path: `${screenshotDir}/real-backend-save-test-ok.png`, fullPage: true });

      const { requests } = await waitForState(page, (s) => assert.equal(s.jsonData.rowLimit, 5000));
      const saves = requests.filter((call) => /^(PUT|GET) \/api\/datasources\/uid\/[^/]+(\/health)?$/.test(call));
      assert.deepEqual(saves, [
        `GET /api/datasources/uid/${DATASOURCE_UID}`,
        `PUT /api/datasources/uid/${DATASOURCE_UID}`,
        `GET /api/datasources/uid/${DATASOURCE_UID}/health`,
        `PUT /api/datasources/uid/${DATASOURCE_UID}`,
        `GET /api/datasources/uid/${DATASOURCE_UID}/health`,
      ]);
      // The host stored what the editor saved.
      const stored = await (await fetch(`${host.url}/api/datasources/uid/${DATASOURCE_UID}`)).json();
      assert.equal(stored.jsonData.source, host.flowlogsDir);
      assert.equal(stored.jsonData.rowLimit, 5000);
    },
  },
];

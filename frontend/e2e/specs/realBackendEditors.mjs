// The query editor's builder, Run, Stop and Format SQL on the real backend (dist/module.js through
// SystemJS; /api/* → Grafana-less host → the plugin process from dist/).
import { countFlows, LOAD_TIMEOUT_MS, openQueryView, readFrame, runQuery } from '../backendHelpers.mjs';
import { assert, readState, typeSql, waitForState } from '../helpers.mjs';

const PLUGIN_ID = 'ibm-cloudsqlcos-datasource';
// A cross join of the sample records with itself, twice: minutes of DuckDB work, so it is still
// running when Stop is pressed.
const SLOW_SQL =
  'SELECT count(*) AS n FROM FLOW_FLAT a CROSS JOIN FLOW_FLAT b CROSS JOIN FLOW_FLAT c WHERE a.bytes_from_target + b.bytes_from_target > c.bytes_from_target';

/** Picks `option` in a Grafana Select found by its aria-label. */
async function choose(page, label, option) {
  await page.getByLabel(label, { exact: true }).click();
  await page.keyboard.type(option);
  await page.keyboard.press('Enter');
}

/** The value of one metric line of the plugin's Prometheus text (via the host), or undefined. */
async function metric(host, pattern) {
  const text = await (await fetch(`${host.url}/api/plugins/${PLUGIN_ID}/metrics`)).text();
  const line = text.split('\n').find((candidate) => pattern.test(candidate));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Polls `read` until `check` accepts its value, up to `timeoutMs`; returns that value. */
async function eventually(read, check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${value} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The text Monaco shows (its rendered lines), with its non-breaking spaces as spaces. */
async function monacoText(page) {
  return (await page.locator('.monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
}

/** Grafana's dashboard asking the datasource for ad-hoc keys and values, in the page (harness/backend.tsx). */
async function tagKeysAndValues(page, key, filters) {
  return page.evaluate(
    async ({ key, filters }) => {
      const { datasource, range } = globalThis.harness;
      const keys = (await datasource.getTagKeys()).map((item) => item.text);
      const values = (await datasource.getTagValues({ key, filters, timeRange: range })).map((item) => item.text);
      return { keys, values };
    },
    { key, filters }
  );
}

export default [
  {
    name: 'real-backend-builder-run-round-trip',
    async run(page, { baseUrl, screenshotDir, host }) {
      await openQueryView(page, baseUrl);
      // A new query is empty: the builder opens without asking.
      await page.getByLabel('Builder', { exact: true }).click();
      await page.getByTestId('flow-builder').waitFor();
      await choose(page, 'Group by', 'Target IP');
      await page.getByRole('button', { name: 'Add filter' }).click();
      await choose(page, 'Filter 1 column', 'Direction');
      await page.getByLabel('Filter 1 value').fill('I');
      await page.getByLabel('Top N').fill('10');

      const { query } = await waitForState(page, (s) => assert.match(s.query.rawSql, /LIMIT 10$/));
      assert.equal(
        query.rawSql,
        [
          'SELECT target_ip, count(*) AS connections',
          'FROM FLOW_FLAT',
          "WHERE $__timeFilterColumn(start_time, string) AND direction = 'I'",
          'GROUP BY target_ip',
          'ORDER BY connections DESC',
          'LIMIT 10',
        ].join('\n')
      );
      assert.equal(await page.getByTestId('builder-sql').textContent(), query.rawSql, 'the builder shows its SQL');
      assert.deepEqual(query.builder, {
        measure: 'connections',
        groupBy: ['target_ip'],
        filters: [{ column: 'direction', operator: '=', value: 'I' }],
        topN: 10,
      });

      const { response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(response.status(), 200);
      const frame = await readFrame(page);
      assert.deepEqual(frame.columns, ['target_ip', 'connections']);
      const expected = await countFlows(host.flowlogsDir, (record) => record.direction === 'I', (record) => record.target_ip);
      assert.ok(expected.length > 1, 'several receivers in the sample');
      assert.deepEqual([...frame.rows].sort(([a], [b]) => a.localeCompare(b)), expected);
      const counts = frame.rows.map(([, count]) => Number(count));
      assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'largest first');
      await page.mouse.move(0, 0); // no tooltip in the picture
      await page.getByTestId('query-editor').screenshot({ path: `${screenshotDir}/builder.png` });

      // Saved and opened again: the builder query opens in the builder with its choices...
      await openQueryView(page, baseUrl, { query, waitFor: '[data-testid="flow-builder"]' });
      assert.equal(await page.getByTestId('query-editor').getAttribute('data-mode'), 'builder');
      assert.equal(await page.getByLabel('Filter 1 value').inputValue(), 'I');
      assert.equal(await page.getByLabel('Top N').inputValue(), '10');
      // ...and once its SQL is edited by hand, in the code editor with a note.
      await openQueryView(page, baseUrl, { query: { ...query, rawSql: `${query.rawSql} -- mine` } });
      assert.equal(await page.getByTestId('query-editor').getAttribute('data-mode'), 'code');
      assert.match(await page.getByTestId('hand-edited-note').textContent(), /edited as SQL/);
      await page.screenshot({ path: `${screenshotDir}/builder-hand-edited.png`, fullPage: true });
    },
  },
  {
    name: 'real-backend-builder-time-series',
    async run(page, { baseUrl, host }) {
      const query = {
        refId: 'A',
        editorMode: 'builder',
        builder: { measure: 'connections', groupBy: ['action'], filters: [], interval: '1h' },
      };
      await openQueryView(page, baseUrl, { query: { ...query, rawSql: '' } });
      // The stored SQL is not the builder's (empty): code editor, and the builder on request.
      await page.getByLabel('Builder', { exact: true }).click();
      await page.getByTestId('flow-builder').waitFor();
      await page.getByLabel('Time series', { exact: true }).click();
      const { query: built } = await waitForState(page, (s) => assert.equal(s.query.format, 'time_series'));
      assert.match(built.rawSql, /^SELECT \$__timeGroupAlias\(start_time, 1h\), action, count\(\*\) AS connections\n/);
      assert.equal(built.metricsColumn, 'action');
      const { response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(response.status(), 200);
      const body = await response.json();
      const frames = body.results.A.frames;
      // One series per action, each with 6 hourly buckets whose counts add up to the sample's.
      const expected = await countFlows(host.flowlogsDir, () => true, (record) => record.action);
      const totals = frames.map((frame) => {
        const values = frame.data.values;
        const label = frame.schema.fields[1].labels.action;
        return [label, String(values[1].reduce((sum, value) => sum + (value ?? 0), 0))];
      });
      assert.deepEqual(totals.sort(([a], [b]) => a.localeCompare(b)), expected);
    },
  },
  {
    name: 'real-backend-stop',
    async run(page, { baseUrl, screenshotDir, host }) {
      await openQueryView(page, baseUrl);
      await typeSql(page, SLOW_SQL);
      const cancelledBefore = (await metric(host, /^cloudsql_cos_ts_queries_total\{.*status="499"/)) ?? 0;
      const request = page.waitForRequest((r) => r.url().includes('/api/ds/query'));
      await page.getByRole('button', { name: 'Run query' }).click();
      await request;
      const stop = page.getByRole('button', { name: 'Stop' });
      await page.locator('button[aria-disabled="false"]', { hasText: 'Stop' }).waitFor({ timeout: LOAD_TIMEOUT_MS });
      // The backend has the query running before Stop is pressed.
      await eventually(() => metric(host, /^cloudsql_cos_ts_queries_in_flight /), (n) => n >= 1, LOAD_TIMEOUT_MS, 'queries in flight');
      const aborted = page.waitForEvent('requestfailed', (r) => r.url().includes('/api/ds/query'));
      const stoppedAt = Date.now();
      await stop.click();
      await aborted;
      const shown = await page.getByTestId('query-error').textContent({ timeout: LOAD_TIMEOUT_MS });
      assert.match(shown, /Query stopped/);
      // The plugin cancelled the scan: nothing in flight, one more query answered 499 (cancelled).
      await eventually(() => metric(host, /^cloudsql_cos_ts_queries_in_flight /), (n) => n === 0, 15000, 'queries in flight');
      const cancelled = await eventually(
        () => metric(host, /^cloudsql_cos_ts_queries_total\{.*status="499"/),
        (n) => n === cancelledBefore + 1,
        15000,
        'cancelled queries'
      );
      assert.equal(cancelled, cancelledBefore + 1);
      assert.ok(Date.now() - stoppedAt < 15000, 'stopped well before the query would have ended');
      await page.mouse.move(0, 0);
      await page.screenshot({ path: `${screenshotDir}/stop.png`, fullPage: true });
      const { runs } = await readState(page);
      assert.equal(runs, 1);
    },
  },
  {
    name: 'real-backend-format-sql',
    async run(page, { baseUrl, screenshotDir, host }) {
      await openQueryView(page, baseUrl);
      await typeSql(
        page,
        "select action, count(*) as flows from FLOW_FLAT where direction = 'I' and $__timeFilterColumn(start_time, string) group by action order by action"
      );
      await page.getByRole('button', { name: 'Format SQL' }).click();
      const formatted = [
        'SELECT',
        '  action,',
        '  count(*) AS flows',
        'FROM',
        '  FLOW_FLAT',
        'WHERE',
        "  direction = 'I'",
        '  AND $__timeFilterColumn(start_time, string)',
        'GROUP BY',
        '  action',
        'ORDER BY',
        '  action',
      ].join('\n');
      await waitForState(page, (s) => assert.equal(s.query.rawSql, formatted));
      // Monaco shows the formatted text (its first lines at least: the rest may be scrolled off).
      const shown = await monacoText(page);
      assert.ok(formatted.startsWith(shown.trim().split('\n').slice(0, 8).join('\n')), `Monaco shows:\n${shown}`);
      await page.getByTestId('sql-editor').screenshot({ path: `${screenshotDir}/format-sql.png` });
      // The formatted query runs and answers what the sample data says.
      const { sent, response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(response.status(), 200);
      assert.equal(sent.queries[0].rawSql, formatted);
      const frame = await readFrame(page);
      const expected = await countFlows(host.flowlogsDir, (record) => record.direction === 'I', (record) => record.action);
      assert.deepEqual(frame.rows, expected);
    },
  },
  {
    name: 'real-backend-adhoc-filters',
    async run(page, { baseUrl, screenshotDir, host }) {
      const inbound = [{ key: 'direction', operator: '=', value: 'I' }];
      await openQueryView(page, baseUrl, { adhoc: inbound });
      // Keys: the flow-log columns; values: from the data in the range, under the other filters.
      const expected = await countFlows(host.flowlogsDir, (record) => record.direction === 'I', (record) => record.target_ip);
      const { keys, values } = await tagKeysAndValues(page, 'target_ip', inbound);
      for (const key of ['target_ip', 'initiator_ip', 'target_port', 'action', 'direction']) {
        assert.ok(keys.includes(key), `${key} in ${keys}`);
      }
      assert.deepEqual(values, expected.map(([ip]) => ip));

      // A panel query of the dashboard: the backend applies the filter (the SQL does not mention it).
      await typeSql(
        page,
        'SELECT target_ip, count(*) AS flows FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string) GROUP BY target_ip ORDER BY target_ip'
      );
      const { sent, response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(response.status(), 200);
      assert.deepEqual(sent.queries[0].adhocFilters, inbound);
      assert.doesNotMatch(sent.queries[0].rawSql, /direction/);
      assert.deepEqual((await readFrame(page)).rows, expected);
      // Preview SQL shows what ran: the scan of FLOW_FLAT filtered by the plugin.
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      const engineSql = await page.getByTestId('preview-sql').textContent({ timeout: LOAD_TIMEOUT_MS });
      assert.match(engineSql, /FROM \(SELECT \* FROM FLOW_FLAT WHERE "direction" = 'I'\) AS FLOW_FLAT/);
      await page.screenshot({ path: `${screenshotDir}/adhoc-filter.png`, fullPage: true });
    },
  },
  {
    name: 'real-backend-adhoc-hostile-value',
    async run(page, { baseUrl }) {
      // Values that would widen the filter if they reached the SQL as text: they must match nothing.
      for (const value of ["10.240.0.4' OR '1'='1", "10.240.0.4\\' OR 1=1 --", '10.240.0.4" OR "1"="1']) {
        await openQueryView(page, baseUrl, { adhoc: [{ key: 'target_ip', operator: '=', value }] });
        await typeSql(page, 'SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)');
        const { response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
        assert.equal(response.status(), 200, value);
        assert.deepEqual((await readFrame(page)).rows, [['0']], value);
      }
      // A key that is not a flow-log column is refused by the backend, not run.
      await openQueryView(page, baseUrl, { adhoc: [{ key: 'target_ip = target_ip OR 1', operator: '=', value: 'x' }] });
      await typeSql(page, 'SELECT count(*) AS n FROM FLOW_FLAT');
      const { response } = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(response.status(), 400);
      assert.match((await response.json()).results.A.error, /is not a flow-log column/);
    },
    expectedResourceErrors: [/\/api\/ds\/query\?/],
  },
  {
    name: 'real-backend-logs',
    async run(page, { baseUrl, screenshotDir, host }) {
      // Hand-written SQL switched to the Logs format: Explore's logs frame, one line per record.
      const sql = 'SELECT * FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string) AND target_port = 22';
      await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: sql, format: 'table' } });
      const { sent, response } = await runQuery(page, () => page.getByLabel('Logs', { exact: true }).click());
      assert.equal(sent.queries[0].format, 'logs');
      assert.equal(response.status(), 200);
      const { schema } = (await response.json()).results.A.frames[0];
      assert.equal(schema.meta.type, 'log-lines');
      assert.equal(schema.meta.preferredVisualisationType, 'logs');
      assert.deepEqual(schema.fields.map((field) => field.name), ['timestamp', 'body', 'severity', 'id', 'labels']);
      await page.getByTestId('log-lines').waitFor({ timeout: LOAD_TIMEOUT_MS });
      assert.equal(await page.getByTestId('log-lines').getAttribute('data-frame-type'), 'log-lines');
      // Levels follow the actions, counted straight from the sample files.
      const expected = await countFlows(host.flowlogsDir, (record) => record.target_port === 22, (record) => record.action);
      const levelOf = { accepted: 'info', rejected: 'warning' };
      const lines = await page.getByTestId('log-line').evaluateAll((items) =>
        items.map((item) => ({ level: item.dataset.level, body: item.querySelector('[data-testid="log-body"]').textContent }))
      );
      const byLevel = new Map();
      for (const { level } of lines) {
        byLevel.set(level, (byLevel.get(level) ?? 0) + 1);
      }
      const counted = [...byLevel].map(([level, count]) => [level, String(count)]).sort();
      assert.deepEqual(counted, expected.map(([action, count]) => [levelOf[action], count]).sort());
      for (const { level, body } of lines) {
        assert.match(body, level === 'warning' ? /^REJECT tcp \S+ → \S+:22 / : /^ACCEPT tcp \S+ → \S+:22 /);
      }
      await page.mouse.move(0, 0);
      await page.screenshot({ path: `${screenshotDir}/logs.png` });

      // The builder's Logs shape: the newest N records of its filters, run as they are written.
      const builder = { measure: 'connections', groupBy: [], filters: [{ column: 'action', operator: '=', value: 'rejected' }] };
      await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: '', editorMode: 'builder', builder } });
      await page.getByLabel('Builder', { exact: true }).click();
      await page.getByTestId('flow-builder').waitFor();
      await page.getByLabel('Logs', { exact: true }).click();
      await page.getByLabel('Lines', { exact: true }).fill('5');
      const { query } = await waitForState(page, (s) => assert.match(s.query.rawSql, /LIMIT 5$/));
      assert.equal(query.format, 'logs');
      const built = await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      assert.equal(built.response.status(), 200);
      await page.getByTestId('log-lines').waitFor({ timeout: LOAD_TIMEOUT_MS });
      const levels = await page.getByTestId('log-line').evaluateAll((items) => items.map((item) => item.dataset.level));
      assert.deepEqual(levels, ['warning', 'warning', 'warning', 'warning', 'warning']);
      await page.mouse.move(0, 0);
      await page.getByTestId('query-editor').screenshot({ path: `${screenshotDir}/builder-logs.png` });
    },
  },
];

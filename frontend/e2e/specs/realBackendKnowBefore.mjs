// Know before you run, and drill down after (issue 26), on the real backend: the estimate line and
// the plan preview answer from the plugin without running the query; a series' data link leads to
// Explore with the query of its raw flows, which then answers exactly that series' records.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { countFlows, LOAD_TIMEOUT_MS, openQueryView, readFrame, RESOURCES, runQuery } from '../backendHelpers.mjs';
import { DATASOURCE_UID, FLOWLOGS_RANGE, SPARK_DATASOURCE_UID } from '../host.mjs';
import { assert, readState } from '../helpers.mjs';

const TIME_FILTER = '$__timeFilterColumn(start_time, string)';
const SPARK_PLAN_TIMEOUT_MS = 120000;
const COUNT_SQL = `SELECT count(*) AS flows FROM FLOW_FLAT WHERE ${TIME_FILTER}`;
// Hourly connections per action and target port: no metrics column, so both text columns are labels.
const SERIES_QUERY = {
  refId: 'A',
  rawSql: [
    'SELECT $__timeGroupAlias(start_time, 1h), action, CAST(target_port AS STRING) AS target_port, count(*) AS connections',
    'FROM FLOW_FLAT',
    `WHERE ${TIME_FILTER}`,
    'GROUP BY $__timeGroup(start_time, 1h), action, target_port',
    'ORDER BY 1',
  ].join('\n'),
  format: 'time_series',
  timeColumn: 'time',
};

const DASHBOARD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../content/dashboards/vpc-flow-logs.json');

/**
 * The drill-down links of the bundled dashboard's panels by panel id: a field default, or panel 3's
 * override of its value fields (which replaces the datasource's own link there).
 */
async function dashboardLinks() {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8'));
  return new Map(
    dashboard.panels
      .map((panel) => {
        const config = panel.fieldConfig ?? {};
        const overridden = (config.overrides ?? []).flatMap((o) => o.properties).find((p) => p.id === 'links')?.value;
        return [panel.id, overridden ?? config.defaults?.links];
      })
      .filter(([, links]) => links)
  );
}

/** What Grafana fills into a link: the dashboard variable, the series' labels, the clicked row's fields. */
function interpolate(text, values) {
  return text.replace(/\$\{([\w.]+)\}/g, (whole, name) => values[name] ?? whole);
}

/** GET or PUT the provisioned datasource on the host (as Grafana's datasource page does). */
async function datasourceApi(host, method, body) {
  const answer = await fetch(`${host.url}/api/datasources/uid/${DATASOURCE_UID}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  assert.equal(answer.status, 200, await answer.clone().text());
  return answer.json();
}

/** The sample objects (every file the generator wrote: the page's range covers them all) and their bytes. */
async function sampleObjects(flowlogsDir) {
  const entries = await readdir(flowlogsDir, { withFileTypes: true, recursive: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  return { objects: files.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

/** The paths of the page's requests to the host, as the browser sent them, from now on. */
function recordApiCalls(page) {
  const calls = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) {
      calls.push(`${request.method()} ${url.pathname}`);
    }
  });
  return calls;
}

/** No query ran: nothing was sent to /api/ds/query and the harness counted no run. */
async function assertNothingRan(page, calls) {
  assert.equal((await readState(page)).runs, 0);
  assert.ok(!calls.some((call) => call.includes('/api/ds/query')), calls.join(', '));
}

export default [
  {
    name: 'real-backend-estimate',
    async run(page, { baseUrl, screenshotDir, host }) {
      const calls = recordApiCalls(page);
      await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: COUNT_SQL, format: 'table' } });
      const estimate = page.getByTestId('query-estimate');
      await page.locator('[data-testid="query-estimate"][data-status="done"]').waitFor({ timeout: LOAD_TIMEOUT_MS });
      const text = await estimate.textContent();
      const sample = await sampleObjects(host.flowlogsDir);
      const shown = /This query will read ([\d,]+) objects \(([\d.]+) (kB|MB)\)/.exec(text);
      assert.ok(shown, text);
      assert.equal(Number(shown[1].replace(/,/g, '')), sample.objects, text);
      const scale = shown[3] === 'MB' ? 1e6 : 1e3;
      assert.equal(shown[2], (sample.bytes / scale).toFixed(1), text);
      assert.match(text, /objects from 2026-01-01 \d\d:\d\d:\d\d to 2026-01-01 0[5-6]:\d\d:\d\d UTC/);
      await assertNothingRan(page, calls);
      assert.deepEqual(
        calls.filter((call) => call.endsWith('/estimate')),
        [`POST ${RESOURCES}/estimate`],
        'one estimate for the query as it opened'
      );
      await estimate.screenshot({ path: `${screenshotDir}/estimate.png` });

      // Once the query ran, the editor opened on it again says its result is cached.
      await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      await readFrame(page);
      await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: COUNT_SQL, format: 'table' } });
      const cached = page.locator('[data-testid="query-estimate"][data-status="done"]');
      await cached.waitFor({ timeout: LOAD_TIMEOUT_MS });
      assert.match(await cached.textContent(), / · result cached/);

      // With a budget of 10 objects per query, the same query is over it: the line warns and says why.
      const stored = await datasourceApi(host, 'GET');
      await datasourceApi(host, 'PUT', { ...stored, jsonData: { ...stored.jsonData, queryLimitObjects: 10 } });
      try {
        await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: COUNT_SQL, format: 'table' } });
        const over = page.locator('[data-testid="query-estimate"][data-status="over-budget"]');
        await over.waitFor({ timeout: LOAD_TIMEOUT_MS });
        assert.equal(await page.getByTestId('query-estimate-budget').textContent(), 'Over the query budget of 10 objects: the query will be refused.');
        assert.match(await over.textContent(), /queryLimitObjects/, "the backend's note names the setting");
        await over.screenshot({ path: `${screenshotDir}/estimate-over-budget.png` });
      } finally {
        await datasourceApi(host, 'PUT', { ...stored, jsonData: stored.jsonData });
      }
    },
  },
  {
    name: 'real-backend-plan',
    async run(page, { baseUrl, screenshotDir }) {
      const calls = recordApiCalls(page);
      await openQueryView(page, baseUrl, { query: { refId: 'A', rawSql: COUNT_SQL, format: 'table' } });
      await page.getByRole('button', { name: 'Show plan' }).click();
      const plan = page.getByTestId('preview-plan');
      await plan.waitFor({ timeout: LOAD_TIMEOUT_MS });
      assert.equal(await page.getByTestId('plan-engine').textContent(), 'duckdb');
      const text = await plan.textContent();
      // DuckDB's EXPLAIN of a count over the flow logs in the range: the aggregate over the scan, the time filter pushed down.
      assert.match(text, /Ungrouped Aggregate/);
      assert.match(text, /count_star\(\)/);
      assert.match(text, /Read Parquet|Scan/);
      assert.match(text, /2026-01-01 00:00:00.*2026-01-01 06:00:00/);
      // Laid out as DuckDB draws it: not wrapped, scrolled sideways when wider than the editor.
      const layout = await plan.evaluate((element) => ({
        whiteSpace: element.ownerDocument.defaultView.getComputedStyle(element).whiteSpace,
        scrolls: element.scrollWidth > element.clientWidth,
      }));
      assert.deepEqual(layout, { whiteSpace: 'pre', scrolls: true });
      assert.ok(calls.includes(`POST ${RESOURCES}/plan`), calls.join(', '));
      await assertNothingRan(page, calls);
      await page.getByTestId('plan-preview').screenshot({ path: `${screenshotDir}/plan.png` });
    },
  },
  {
    name: 'real-backend-spark-plan',
    spark: true,
    timeoutMs: 2 * SPARK_PLAN_TIMEOUT_MS,
    async run(page, { baseUrl, screenshotDir }) {
      const calls = recordApiCalls(page);
      await openQueryView(page, baseUrl, { uid: SPARK_DATASOURCE_UID, query: { refId: 'A', rawSql: COUNT_SQL, format: 'table' } });
      await page.getByRole('button', { name: 'Show plan' }).click();
      const plan = page.getByTestId('preview-plan');
      // Spark plans on its server: the first plan of a session waits for the Spark Connect session to open.
      await plan.waitFor({ timeout: SPARK_PLAN_TIMEOUT_MS });
      assert.equal(await page.getByTestId('plan-engine').textContent(), 'spark');
      const text = await plan.textContent();
      // Spark's explain of the same count: its logical and physical plans, the aggregate over the flow-log scan.
      assert.match(text, /== Analyzed Logical Plan ==/);
      assert.match(text, /== Physical Plan ==/);
      assert.match(text, /HashAggregate/);
      assert.match(text, /count\(1\)|count\(\*\)/);
      assert.ok(calls.includes(`POST /api/datasources/uid/${SPARK_DATASOURCE_UID}/resources/plan`), calls.join(', '));
      await assertNothingRan(page, calls);
      await page.getByTestId('plan-preview').screenshot({ path: `${screenshotDir}/plan-spark.png` });
    },
  },
  {
    name: 'real-backend-drill-down',
    async run(page, { baseUrl, screenshotDir, host }) {
      await openQueryView(page, baseUrl, { query: SERIES_QUERY });
      await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      const link = page.getByTestId('data-link').filter({ hasText: 'Raw flows of action rejected, target_port 22' });
      await link.waitFor({ timeout: LOAD_TIMEOUT_MS });
      await page.getByTestId('query-result').screenshot({ path: `${screenshotDir}/drill-down-links.png` });

      // Clicking the link goes to Grafana's Explore URL; the harness has no Explore, so the URL is kept.
      await page.route('**/explore?**', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'Explore' }));
      await Promise.all([page.waitForURL('**/explore?**'), link.click()]);
      const left = JSON.parse(new URL(page.url()).searchParams.get('left'));
      assert.equal(left.datasource, DATASOURCE_UID);
      assert.deepEqual(left.range, { from: 'now-6h', to: 'now' }, "the panel's range");
      assert.equal(left.queries.length, 1);
      const [{ datasource, ...query }] = left.queries;
      assert.deepEqual(datasource, { uid: DATASOURCE_UID });
      assert.equal(query.format, 'table');
      assert.equal(
        query.rawSql,
        ['SELECT * FROM FLOW_FLAT', `WHERE ${TIME_FILTER}`, "  AND `action` = 'rejected'", "  AND `target_port` = '22'", 'ORDER BY start_time DESC'].join('\n')
      );

      // The query Explore opens (in this datasource: the harness has no datasource service to resolve
      // the reference) answers the flows of the range rejected on port 22, all of them.
      await openQueryView(page, baseUrl, { query });
      await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      const frame = await readFrame(page);
      const [action, port] = ['action', 'target_port'].map((name) => frame.columns.indexOf(name));
      const expected = await countFlows(host.flowlogsDir, (record) => record.target_port === 22, (record) => record.action);
      const rejected = Number(expected.find(([key]) => key === 'rejected')?.[1] ?? 0);
      assert.ok(rejected > 0, 'the sample has flows rejected on port 22');
      assert.equal(frame.rows.length, rejected);
      assert.ok(frame.rows.every((row) => row[action] === 'rejected' && row[port] === '22'), frame.columns.join(', '));
      // The page the run's screenshot shows: the series and their links (a full-page shot of hundreds
      // of 40-column rows takes longer than the spec).
      await openQueryView(page, baseUrl, { query: SERIES_QUERY });
      await runQuery(page, () => page.getByRole('button', { name: 'Run query' }).click());
      await page.getByTestId('data-link').first().waitFor({ timeout: LOAD_TIMEOUT_MS });
    },
  },
  {
    name: 'real-backend-dashboard-drill-down',
    async run(page, { host }) {
      // Each link of the bundled dashboard, filled in for one series or row of the sample, is a query
      // of this datasource that answers exactly the flows of that series or row in the range.
      const links = await dashboardLinks();
      assert.deepEqual([...links.keys()], [3, 4, 5, 6]);
      const target = '10.240.0.4';
      const scanner = (await countFlows(host.flowlogsDir, (r) => r.action === 'rejected' && r.target_ip === target, (r) => r.initiator_ip))
        .sort((a, b) => Number(b[1]) - Number(a[1]))[0][0];
      const cases = [
        [3, { target_ip: target, '__field.labels.action': 'rejected' }, (r) => r.target_ip === target && r.action === 'rejected'],
        [4, { target_ip: target, '__data.fields.initiator_ip': scanner }, (r) => r.target_ip === target && r.initiator_ip === scanner && r.action === 'rejected'],
        [5, { '__data.fields.target_ip': target }, (r) => r.target_ip === target && r.action === 'rejected' && r.direction === 'I'],
        [6, { '__data.fields.initiator_ip': scanner }, (r) => r.initiator_ip === scanner && r.action === 'rejected'],
      ];
      for (const [panel, values, keep] of cases) {
        const [link] = links.get(panel);
        assert.equal(link.internal.datasourceUid, 'vpc-flow-logs', `panel ${panel}: the bundled datasource`);
        assert.doesNotMatch(interpolate(link.title, values), /\$\{/, `panel ${panel}: every name in the title is filled in`);
        const rawSql = interpolate(link.internal.query.rawSql, values);
        assert.doesNotMatch(rawSql, /\$\{/, `panel ${panel}: every name in the SQL is filled in`);
        const answer = await fetch(`${host.url}/api/ds/query`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            from: String(Date.parse(FLOWLOGS_RANGE.start)),
            to: String(Date.parse(FLOWLOGS_RANGE.end)),
            queries: [{ ...link.internal.query, rawSql, datasource: { uid: DATASOURCE_UID } }],
          }),
        });
        assert.equal(answer.status, 200, `panel ${panel}: ${await answer.clone().text()}`);
        const [frame] = (await answer.json()).results.A.frames;
        const expected = await countFlows(host.flowlogsDir, keep, () => 'all');
        assert.ok(expected.length === 1, `panel ${panel}: the sample has such flows`);
        assert.equal(frame.data.values[0].length, Number(expected[0][1]), `panel ${panel}: ${rawSql}`);
      }
    },
  },
];

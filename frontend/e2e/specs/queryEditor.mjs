import { assert, openQueryEditor, readState, toggleSwitch, typeSql, waitForState } from '../helpers.mjs';

export default [
  {
    name: 'query-type-complete-and-run',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl);
      await typeSql(page, 'SELECT target_ip FROM $__source WHERE $__ti');
      // Completion comes from the backend's macro reference (stubbed GET macros).
      const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: '$__timeFilter' });
      await suggestion.first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await page.keyboard.type('(start_time)');
      await page.keyboard.press('Shift+Enter');
      const state = await waitForState(page, (s) => assert.equal(s.runs, 1));
      assert.equal(state.query.rawSql, 'SELECT target_ip FROM $__source WHERE $__timeFilter(start_time)');
      assert.ok(state.requests.includes('GET /api/datasources/uid/cloudsql-test/resources/macros'));
      assert.ok(state.requests.includes('GET /api/datasources/uid/cloudsql-test/resources/schema'));
    },
  },
  {
    name: 'query-format-and-options',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl);
      assert.equal((await readState(page)).query.format, 'table');
      await page.getByRole('radio', { name: 'Time series' }).click();
      await waitForState(page, (s) => {
        assert.equal(s.query.format, 'time_series');
        assert.equal(s.runs, 1);
      });
      await page.getByLabel('Time Column', { exact: true }).fill('start_time');
      await page.getByLabel('Metrics column', { exact: true }).fill('target_ip');
      await toggleSwitch(page, 'Get Queried Result');
      await waitForState(page, (s) => {
        assert.equal(s.query.timeColumn, 'start_time');
        assert.equal(s.query.metricsColumn, 'target_ip');
        assert.equal(s.query.getResult, false);
      });
    },
  },
  {
    name: 'query-help-toggle',
    async run(page, { baseUrl, screenshotDir }) {
      await openQueryEditor(page, baseUrl);
      assert.equal(await page.getByTestId('macro-help').count(), 0);
      await toggleSwitch(page, 'Show help');
      const help = page.getByTestId('macro-help');
      await help.getByText('$__timeFilter(column)').waitFor();
      await help.getByText('TS_SEG_SUM(segments)').waitFor();
      await help.screenshot({ path: `${screenshotDir}/query-help-panel.png` });
      await toggleSwitch(page, 'Show help');
      await help.waitFor({ state: 'detached' });
      await toggleSwitch(page, 'Show help');
      await help.waitFor();
    },
  },
  {
    name: 'query-preview-sql',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl);
      await typeSql(page, 'SELECT * FROM $__source WHERE target_ip = "${target_ip}" AND $__timeFilter(start_time');
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      const sql = page.getByTestId('preview-sql');
      await sql.waitFor();
      const text = await sql.textContent();
      assert.match(text, /target_ip = "10\.240\.0\.4"/);
      assert.match(text, /start_time BETWEEN '2026-01-01T00:00:00\.000Z' AND '2026-01-01T06:00:00\.000Z'/);
      assert.match(text, /FROM cos:\/\/us-south\/flowlogs/);
    },
  },
  {
    name: 'query-preview-error',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl);
      await typeSql(page, 'SELECT $__unknown');
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      await page.getByText('unknown macro $__unknown at line 1').waitFor();
      await page.getByText('The query cannot be expanded').waitFor();
    },
  },
  {
    name: 'query-compact-explore',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl, { app: 'explore' });
      assert.equal(await page.getByTestId('query-editor').getAttribute('data-layout'), 'compact');
      const height = await page.locator('.monaco-editor').first().evaluate((node) => node.getBoundingClientRect().height);
      assert.ok(height <= 130, `compact editor height ${height}`);
    },
  },
];

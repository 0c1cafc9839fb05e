import { assert, openQueryEditor, typeSql, waitForState } from '../helpers.mjs';

// dist/module.js itself, loaded through SystemJS + its AMD extra as Grafana does (harness/systemjs.tsx).
const ENTRY = 'systemjs.html';

export default [
  {
    name: 'built-module-query-editor',
    async run(page, { baseUrl }) {
      await openQueryEditor(page, baseUrl, { entry: ENTRY });
      await typeSql(page, 'SELECT * FROM $__source WHERE initiator_ip IN ($hosts)');
      await page.getByRole('button', { name: 'Preview SQL' }).click();
      const text = await page.getByTestId('preview-sql').textContent();
      assert.match(text, /initiator_ip IN \('10\.0\.0\.1','10\.0\.0\.2'\)/);
      await page.locator('.monaco-editor').first().click();
      await page.keyboard.press('Control+Enter');
      await waitForState(page, (s) => assert.equal(s.runs, 1));
    },
  },
  {
    name: 'built-module-config-editor',
    async run(page, { baseUrl }) {
      await page.goto(`${baseUrl}/${ENTRY}?view=config`);
      await page.getByTestId('config-editor').waitFor({ timeout: 15000 });
      await page.getByRole('radio', { name: 'API key (IAM)' }).click();
      await page.getByLabel('IBM Cloud API key').fill('built-module-key');
      await waitForState(page, (s) => {
        assert.equal(s.jsonData.authType, 'iam');
        assert.deepEqual(s.secureJsonData, { apiKey: 'built-module-key' });
      });
    },
  },
];

import { assert, waitForState } from '../helpers.mjs';

const CREDENTIAL = JSON.stringify({
  apikey: 'harness-api-key',
  resource_instance_id: 'crn:v1:bluemix:public:cloud-object-storage:global:a/0123:4567::',
  cos_hmac_keys: { access_key_id: 'harness-access-key', secret_access_key: 'harness-secret-key' },
});

export default [
  {
    name: 'config-fill-form',
    async run(page, { baseUrl }) {
      await page.goto(`${baseUrl}/?view=config`);
      await page.getByTestId('config-editor').waitFor();

      await page.getByRole('radio', { name: 'Spark Connect' }).click();
      await page.getByText(/starting with sc:\/\//).waitFor();
      await page.getByLabel('Spark Connect URL').fill('sc://spark.internal:15002');
      await page.getByText(/starting with sc:\/\//).waitFor({ state: 'detached' });

      // The Spark token is stored already: Reset makes it editable again.
      await page.getByRole('button', { name: 'Reset' }).click();
      await page.getByLabel('Spark Connect token').fill('spark-token');

      await page.getByLabel('Source', { exact: true }).fill('flowlogs/');
      await page.getByText(/must be an absolute path/).waitFor();
      await page.getByLabel('Source', { exact: true }).fill('cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/');
      await page.getByText(/A cos:\/\/ location needs credentials/).waitFor();

      await page.getByLabel('Service credential JSON').fill(CREDENTIAL);
      await page.getByRole('button', { name: 'Fill from credential' }).click();
      await page.getByText(/Filled in: HMAC access key id, HMAC secret access key, service instance id/).waitFor();

      await page.getByLabel('Row limit').fill('50000');
      const state = await waitForState(page, (s) => assert.equal(s.jsonData.rowLimit, 50000));
      assert.deepEqual(state.jsonData, {
        engine: 'spark',
        sparkUrl: 'sc://spark.internal:15002',
        source: 'cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/',
        serviceInstanceId: 'crn:v1:bluemix:public:cloud-object-storage:global:a/0123:4567::',
        authType: 'hmac',
        rowLimit: 50000,
      });
      assert.deepEqual(state.secureJsonData, {
        sparkToken: 'spark-token',
        hmacAccessKeyId: 'harness-access-key',
        hmacSecretAccessKey: 'harness-secret-key',
      });
      assert.equal(state.secureJsonFields.sparkToken, false);
      assert.equal(await page.getByText(/needs credentials/).count(), 0);
      assert.equal(await page.getByLabel('Service credential JSON').inputValue(), '');
    },
  },
];

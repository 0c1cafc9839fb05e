import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { CloudSqlSettings } from '../../src/config/settingsUpdate';
import { createSettings } from '../../testing/settings';

function setup(initial: CloudSqlSettings) {
  let latest = initial;
  function Stateful() {
    const [options, setOptions] = useState(initial);
    const onOptionsChange = (next: CloudSqlSettings) => {
      latest = next;
      setOptions(next);
    };
    return <ConfigEditor options={options} onOptionsChange={onOptionsChange} />;
  }
  render(<Stateful />);
  return { current: () => latest };
}

const HMAC_CREDENTIAL = JSON.stringify({
  apikey: 'api-key-secret',
  resource_instance_id: 'crn:v1:bluemix:public:cloud-object-storage:global:a/abc:def::',
  cos_hmac_keys: { access_key_id: 'hmac-id-secret', secret_access_key: 'hmac-key-secret' },
});

/** A location field refuses a relative folder while typing and takes an absolute one. */
async function typeRelativeThenAbsolute(label: string, relative: string, absolute: string) {
  await userEvent.type(screen.getByLabelText(label), relative);
  expect(screen.getByText(/must be an absolute path/)).toBeInTheDocument();
  await userEvent.clear(screen.getByLabelText(label));
  await userEvent.type(screen.getByLabelText(label), absolute);
  expect(screen.queryByText(/must be an absolute path/)).not.toBeInTheDocument();
}

describe('ConfigEditor', () => {
  it('shows a fresh datasource with DuckDB, no auth and no validation message', () => {
    setup(createSettings());
    expect(screen.getByLabelText('Embedded DuckDB')).toBeChecked();
    expect(screen.getByLabelText('None')).toBeChecked();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByText(/What \$__source reads/)).toBeInTheDocument();
  });

  it('validates the source location while typing', async () => {
    const { current } = setup(createSettings());
    await typeRelativeThenAbsolute('Source', 'flowlogs/', '/data/flowlogs');
    expect(current().jsonData.source).toBe('/data/flowlogs');
  });

  it('takes absolute paths of the enrichment files', async () => {
    const { current } = setup(createSettings());
    await userEvent.type(screen.getByLabelText('Subnet names file'), 'subnets.csv');
    expect(screen.getByText(/Use an absolute path on the Grafana server/)).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText('Subnet names file'));
    await userEvent.type(screen.getByLabelText('Subnet names file'), '/etc/grafana/subnets.csv');
    expect(screen.queryByText(/Use an absolute path on the Grafana server/)).not.toBeInTheDocument();
    expect(current().jsonData.subnetsFile).toBe('/etc/grafana/subnets.csv');
    expect(screen.getByLabelText('Country file')).toHaveValue('');
  });

  it('asks for credentials when the source is in COS', async () => {
    setup(createSettings());
    await userEvent.type(screen.getByLabelText('Source'), 'cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/');
    expect(screen.getByText(/A cos:\/\/ location needs credentials/)).toBeInTheDocument();
  });

  it('leaves damaged flow-log objects out by default and can make them errors', async () => {
    const { current } = setup(createSettings());
    expect(screen.getByLabelText('Leave out with a warning')).toBeChecked();
    await userEvent.click(screen.getByLabelText('Fail the query'));
    expect(current().jsonData.damagedObjects).toBe('fail');
    await userEvent.click(screen.getByLabelText('Parquet'));
    expect(screen.queryByLabelText('Fail the query')).not.toBeInTheDocument();
  });

  it('takes a flow lake location for flow logs only and checks it', async () => {
    const { current } = setup(createSettings());
    await typeRelativeThenAbsolute('Flow lake', 'lake/', '/data/lake');
    expect(current().jsonData.lakeLocation).toBe('/data/lake');
    await userEvent.click(screen.getByLabelText('CSV'));
    expect(screen.queryByLabelText('Flow lake')).not.toBeInTheDocument();
  });

  it('shows Spark Connect fields for the Spark engine and checks the sc:// URL', async () => {
    const { current } = setup(createSettings());
    await userEvent.click(screen.getByLabelText('Spark Connect'));
    expect(current().jsonData.engine).toBe('spark');
    expect(screen.getByText(/starting with sc:\/\//)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Spark Connect URL'), 'sc://spark:15002');
    expect(screen.queryByText(/starting with sc:\/\//)).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Spark Connect token'), 'tok');
    expect(current().secureJsonData).toEqual({ sparkToken: 'tok' });
    expect(current().jsonData).not.toHaveProperty('sparkToken');
  });

  it('asks for the instance CRN for IBM Data Engine', async () => {
    setup(createSettings());
    await userEvent.click(screen.getByLabelText('IBM Data Engine'));
    expect(screen.getByLabelText('Data Engine instance CRN')).toBeInTheDocument();
    expect(screen.getByText(/needs the instance CRN/)).toBeInTheDocument();
  });

  it('keeps a typed API key in secureJsonData only', async () => {
    const { current } = setup(createSettings({ authType: 'iam' }));
    expect(screen.getByText(/Enter the IBM Cloud API key/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('IBM Cloud API key'), 'my-api-key');
    expect(current().secureJsonData).toEqual({ apiKey: 'my-api-key' });
    expect(JSON.stringify(current().jsonData)).not.toContain('my-api-key');
    expect(screen.queryByText(/Enter the IBM Cloud API key/)).not.toBeInTheDocument();
  });

  it('resets a stored API key so a new one can be entered', async () => {
    const { current } = setup(createSettings({ authType: 'iam' }, { apiKey: true }));
    const field = screen.getByLabelText('IBM Cloud API key');
    expect(field).toBeDisabled();
    expect(field).toHaveValue('configured');
    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(current().secureJsonFields.apiKey).toBe(false);
    expect(current().secureJsonData).toEqual({ apiKey: '' });
    expect(screen.getByLabelText('IBM Cloud API key')).toBeEnabled();
  });

  it('fills HMAC keys and the instance id from a pasted service credential', async () => {
    const { current } = setup(createSettings());
    const paste = screen.getByLabelText('Service credential JSON');
    await userEvent.click(paste);
    await userEvent.paste(HMAC_CREDENTIAL);
    await userEvent.click(screen.getByRole('button', { name: 'Fill from credential' }));

    expect(current().jsonData).toEqual({
      authType: 'hmac',
      serviceInstanceId: 'crn:v1:bluemix:public:cloud-object-storage:global:a/abc:def::',
    });
    expect(current().secureJsonData).toEqual({ hmacAccessKeyId: 'hmac-id-secret', hmacSecretAccessKey: 'hmac-key-secret' });
    expect(screen.getByLabelText('HMAC keys')).toBeChecked();
    expect(screen.getByText(/Filled in: HMAC access key id/)).toBeInTheDocument();
    expect(paste).toHaveValue('');
  });

  it('explains a paste that is not a credential, keeping the settings', async () => {
    const { current } = setup(createSettings());
    await userEvent.click(screen.getByLabelText('Service credential JSON'));
    await userEvent.paste('not json');
    await userEvent.click(screen.getByRole('button', { name: 'Fill from credential' }));
    const alert = screen.getByText(/This is not valid JSON/).closest('[role="alert"]') as HTMLElement;
    expect(within(alert).getByText('Not applied')).toBeInTheDocument();
    expect(current().jsonData).toEqual({});
  });

  it('stores limits as numbers and flags values out of range', async () => {
    const { current } = setup(createSettings());
    await userEvent.type(screen.getByLabelText('Row limit'), '0');
    expect(current().jsonData.rowLimit).toBe(0);
    expect(screen.getByText('Must be between 1 and 100000000')).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText('Row limit'));
    expect(current().jsonData.rowLimit).toBeUndefined();
    await userEvent.type(screen.getByLabelText('Cache TTL (seconds)'), '600');
    expect(current().jsonData.cacheTtlSeconds).toBe(600);
  });
});

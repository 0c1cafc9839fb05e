import {
  applyServiceCredential,
  describeCredential,
  parseServiceCredential,
  ServiceCredential,
} from '../../src/config/serviceCredential';
import { isSecretSet, withJsonData, withSecret, withSecretReset } from '../../src/config/settingsUpdate';
import { endpointError, locationError, validateSettings } from '../../src/config/validation';
import { createSettings } from '../../testing/settings';

describe('locationError', () => {
  it.each([
    ['', undefined],
    ['cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/', undefined],
    ['cos://s3.example.com:9000/bucket', undefined],
    ['/var/lib/flowlogs', undefined],
    ['file:///var/lib/flowlogs', undefined],
    ['cos://us-south', 'Use cos://<region>/<bucket>/<prefix>'],
    ['cos://us-south/Bad_Bucket/x', 'is not a valid bucket name'],
    ['cos://bad host/bucket', 'neither a COS region'],
    ['s3://bucket/prefix', 'Use a cos://<region>/<bucket>/<prefix> URL or an absolute folder path'],
    ['relative/folder', 'must be an absolute path'],
  ])('%j', (value, expected) => {
    const message = locationError(value);
    if (expected === undefined) {
      expect(message).toBeUndefined();
    } else {
      expect(message).toContain(expected);
    }
  });
});

describe('endpointError', () => {
  it.each([
    ['', undefined],
    ['https://s3.private.us-south.cloud-object-storage.appdomain.cloud', undefined],
    ['http://127.0.0.1:9000', undefined],
    ['s3.example.com', undefined],
    ['ftp://host', 'https://host[:port]'],
    ['https://host/path', 'without a path'],
    ['https://user:pw@host', 'No credentials'],
  ])('%j', (value, expected) => {
    const message = endpointError(value);
    if (expected === undefined) {
      expect(message).toBeUndefined();
    } else {
      expect(message).toContain(expected);
    }
  });
});

describe('validateSettings', () => {
  it('accepts a fresh datasource (embedded DuckDB, no auth, defaults)', () => {
    expect(validateSettings(createSettings())).toEqual({});
  });

  it.each<[string, Parameters<typeof createSettings>, string[]]>([
    ['Spark without an sc:// URL', [{ engine: 'spark', sparkUrl: 'http://spark:15002' }], ['sparkUrl']],
    ['Spark with an sc:// URL', [{ engine: 'spark', sparkUrl: 'sc://spark:15002' }], []],
    ['Data Engine without CRN and IAM', [{ engine: 'dataengine' }], ['dataEngineInstanceCrn', 'authType']],
    [
      'Data Engine configured',
      [{ engine: 'dataengine', dataEngineInstanceCrn: 'crn:v1:x', authType: 'iam' }, { apiKey: true }],
      [],
    ],
    ['IAM without an API key', [{ authType: 'iam' }], ['apiKey']],
    ['IAM with a stored API key', [{ authType: 'iam' }, { apiKey: true }], []],
    ['HMAC without keys', [{ authType: 'hmac' }], ['hmacAccessKeyId', 'hmacSecretAccessKey']],
    ['a cos:// source without auth', [{ source: 'cos://us-south/bucket/p/' }], ['authType']],
    ['a local source without auth', [{ source: '/data/flows' }], []],
    ['a bad destination', [{ destination: 'results/' }], ['destination']],
    ['a bad flow lake location', [{ lakeLocation: 'lake/' }], ['lakeLocation']],
    ['a flow lake in COS without auth', [{ lakeLocation: 'cos://us-south/bucket/lake/' }], ['authType']],
    ['out-of-range numbers', [{ rowLimit: 0, queryTimeoutSeconds: 7200, cacheTtlSeconds: 1.5 }], ['cacheTtlSeconds', 'queryTimeoutSeconds', 'rowLimit']],
    ['numbers in range', [{ rowLimit: 5000, queryTimeoutSeconds: 30, cacheTtlSeconds: 0 }], []],
    ['a query memory limit of 0 MB', [{ queryMemoryLimitMB: 0 }], ['queryMemoryLimitMB']],
    ['a query memory limit of 1.5 GB', [{ queryMemoryLimitMB: 1536.5 }], []],
    ['budgets of 0 (no limit)', [{ queryLimitObjects: 0, queryLimitMB: 0, alertLimitObjects: 0, alertLimitMB: 0 }], []],
    [
      'a scan limit of 0 and fractional object budgets',
      [{ scanLimitObjects: 0, queryLimitObjects: 2.5, alertLimitObjects: -1, alertLimitMB: 512.5 }],
      ['scanLimitObjects', 'queryLimitObjects', 'alertLimitObjects'],
    ],
    [
      'other locations: one bad among good ones',
      [{ allowedLocations: ['cos://us-south/shared-logs/', 'shared-logs/'] }],
      ['allowedLocations'],
    ],
    ['other locations: all good', [{ allowedLocations: ['cos://us-south/shared-logs/', '/srv/flows'] }], []],
  ])('%s', (_name, args, fields) => {
    expect(Object.keys(validateSettings(createSettings(...args))).sort()).toEqual([...fields].sort());
  });

  it('counts a secret typed in this session as set', () => {
    const settings = withSecret(createSettings({ authType: 'iam' }), 'apiKey', 'typed-now');
    expect(validateSettings(settings)).toEqual({});
  });
});

describe('settings updates', () => {
  it('puts secrets only into secureJsonData', () => {
    const settings = withSecret(createSettings(), 'apiKey', 'k-123');
    expect(settings.secureJsonData).toEqual({ apiKey: 'k-123' });
    expect(JSON.stringify(settings.jsonData)).not.toContain('k-123');
  });

  it('reset forgets a stored secret and clears the typed value', () => {
    const settings = withSecretReset(createSettings({}, { apiKey: true, sparkToken: true }), 'apiKey');
    expect(settings.secureJsonFields).toEqual({ apiKey: false, sparkToken: true });
    expect(settings.secureJsonData).toEqual({ apiKey: '' });
    expect(isSecretSet(settings, 'apiKey')).toBe(false);
    expect(isSecretSet(settings, 'sparkToken')).toBe(true);
  });

  it('changes one jsonData key and keeps the rest', () => {
    const settings = withJsonData(createSettings({ engine: 'spark', rowLimit: 5 }), 'engine', 'duckdb');
    expect(settings.jsonData).toEqual({ engine: 'duckdb', rowLimit: 5 });
  });
});

const IAM_CREDENTIAL = {
  apikey: 'api-key-secret',
  endpoints: 'https://control.cloud-object-storage.cloud.ibm.com/v2/endpoints',
  iam_apikey_name: 'grafana',
  resource_instance_id: 'crn:v1:bluemix:public:cloud-object-storage:global:a/abc:def::',
};
const HMAC_CREDENTIAL = {
  ...IAM_CREDENTIAL,
  cos_hmac_keys: { access_key_id: 'hmac-id-secret', secret_access_key: 'hmac-key-secret' },
};

describe('parseServiceCredential', () => {
  it('reads the API key and service instance id', () => {
    expect(parseServiceCredential(JSON.stringify(IAM_CREDENTIAL))).toEqual({
      ok: true,
      credential: { apiKey: 'api-key-secret', serviceInstanceId: IAM_CREDENTIAL.resource_instance_id, hmac: undefined },
    });
  });

  it('reads HMAC keys when present', () => {
    const parsed = parseServiceCredential(JSON.stringify(HMAC_CREDENTIAL));
    expect(parsed.ok && parsed.credential.hmac).toEqual({ accessKeyId: 'hmac-id-secret', secretAccessKey: 'hmac-key-secret' });
  });

  it.each([
    ['a {"credentials": ...} wrapper', { credentials: IAM_CREDENTIAL }],
    ['a list of wrappers', [{ credentials: IAM_CREDENTIAL }]],
  ])('unwraps %s', (_name, wrapped) => {
    const parsed = parseServiceCredential(JSON.stringify(wrapped));
    expect(parsed.ok && parsed.credential.apiKey).toBe('api-key-secret');
  });

  it.each([
    ['not JSON', '{"apikey": "leaked-secret"', 'not valid JSON'],
    ['an array of numbers', '[1, 2]', 'Expected a JSON object'],
    ['no key at all', '{"resource_instance_id": "crn:x"}', 'No "apikey" and no "cos_hmac_keys"'],
    ['incomplete HMAC keys', '{"cos_hmac_keys": {"access_key_id": "a"}}', 'No "apikey"'],
  ])('refuses %s without echoing it', (_name, text, message) => {
    const parsed = parseServiceCredential(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(message);
    expect(!parsed.ok && parsed.error).not.toContain('leaked-secret');
  });
});

describe('applyServiceCredential', () => {
  const credential = (value: object): ServiceCredential => {
    const parsed = parseServiceCredential(JSON.stringify(value));
    if (!parsed.ok) {
      throw new Error(parsed.error);
    }
    return parsed.credential;
  };

  it('IAM: stores the API key as a secret, the instance id as jsonData', () => {
    const settings = applyServiceCredential(createSettings({ authType: 'none' }), credential(IAM_CREDENTIAL));
    expect(settings.jsonData).toEqual({ authType: 'iam', serviceInstanceId: IAM_CREDENTIAL.resource_instance_id });
    expect(settings.secureJsonData).toEqual({ apiKey: 'api-key-secret' });
  });

  it('HMAC: stores both keys as secrets and switches to HMAC', () => {
    const settings = applyServiceCredential(createSettings(), credential(HMAC_CREDENTIAL));
    expect(settings.jsonData.authType).toBe('hmac');
    expect(settings.secureJsonData).toEqual({ hmacAccessKeyId: 'hmac-id-secret', hmacSecretAccessKey: 'hmac-key-secret' });
  });

  it.each([IAM_CREDENTIAL, HMAC_CREDENTIAL])('never puts a secret into jsonData (%#)', (value) => {
    const json = JSON.stringify(applyServiceCredential(createSettings(), credential(value)).jsonData);
    expect(json).not.toMatch(/secret/);
  });

  it('describes what was filled without the values', () => {
    const text = describeCredential(credential(HMAC_CREDENTIAL));
    expect(text).toBe(
      'Filled in: HMAC access key id, HMAC secret access key, service instance id. Authentication set to HMAC keys. Save & test to store them.'
    );
  });
});

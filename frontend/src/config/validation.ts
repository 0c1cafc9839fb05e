import { CloudSqlOptions, SecureKey } from '../types';
import { CloudSqlSettings, isSecretSet } from './settingsUpdate';

export type SettingsField = keyof CloudSqlOptions | SecureKey;
export type SettingsErrors = Partial<Record<SettingsField, string>>;

// The same rules the backend applies on "Save & test" (plugin settings/datasource.py, locations.py).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HOST = /^[A-Za-z0-9.-]+(:\d+)?$/;

export function locationError(value: string | undefined): string | undefined {
  const text = value?.trim() ?? '';
  if (!text) {
    return undefined;
  }
  if (text.startsWith('cos://')) {
    const [host = '', bucket = ''] = text.slice('cos://'.length).split('/');
    if (!host || !bucket) {
      return 'Use cos://<region>/<bucket>/<prefix>, e.g. cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/';
    }
    if (!HOST.test(host)) {
      return `"${host}" is neither a COS region (e.g. us-south) nor a host name`;
    }
    if (!BUCKET.test(bucket)) {
      return `"${bucket}" is not a valid bucket name (3-63 lower-case letters, digits, "." and "-")`;
    }
    return undefined;
  }
  const path = text.startsWith('file://') ? text.slice('file://'.length) : text;
  if (path.includes('://')) {
    return 'Use a cos://<region>/<bucket>/<prefix> URL or an absolute folder path';
  }
  if (!path.startsWith('/')) {
    return 'A folder must be an absolute path such as /var/lib/flowlogs (the plugin runs with cwd /)';
  }
  return undefined;
}

export function endpointError(value: string | undefined): string | undefined {
  const text = value?.trim() ?? '';
  if (!text) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `https://${text}`);
  } catch {
    return 'Use https://host[:port] (http is allowed for a local S3-compatible server)';
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.host || !['', '/'].includes(url.pathname)) {
    return 'Use https://host[:port] without a path';
  }
  if (url.username || url.password) {
    return 'No credentials in the endpoint: use the authentication fields';
  }
  return undefined;
}

/** The backend's rule for the enrichment files (settings/enrichment.py): absolute paths only. */
export function filePathError(value: string | undefined): string | undefined {
  const text = value?.trim() ?? '';
  return text && !text.startsWith('/')
    ? 'Use an absolute path on the Grafana server, e.g. /var/lib/grafana/enrichment/subnets.csv'
    : undefined;
}

function rangeError(value: number | undefined, low: number, high: number, integer: boolean): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isFinite(value) || value < low || value > high) {
    return `Must be between ${low} and ${high}`;
  }
  return integer && !Number.isInteger(value) ? 'Must be a whole number' : undefined;
}

function usesCos(jsonData: CloudSqlOptions): boolean {
  return [jsonData.source, jsonData.destination, jsonData.lakeLocation].some((location) =>
    location?.trim().startsWith('cos://')
  );
}

function engineErrors(jsonData: CloudSqlOptions): SettingsErrors {
  const errors: SettingsErrors = {};
  if (jsonData.engine === 'spark' && !jsonData.sparkUrl?.trim().startsWith('sc://')) {
    errors.sparkUrl = 'Spark Connect needs its address, starting with sc://, e.g. sc://spark-host:15002';
  }
  if (jsonData.engine === 'dataengine') {
    if (!jsonData.dataEngineInstanceCrn?.trim().startsWith('crn:')) {
      errors.dataEngineInstanceCrn = 'IBM Data Engine needs the instance CRN, starting with crn:v1:';
    }
    if (jsonData.authType !== 'iam') {
      errors.authType = 'IBM Data Engine authenticates with an IBM Cloud API key: choose API key (IAM)';
    }
  }
  return errors;
}

function authErrors(settings: CloudSqlSettings): SettingsErrors {
  const { jsonData } = settings;
  const errors: SettingsErrors = {};
  const auth = jsonData.authType ?? 'none';
  if (auth === 'iam' && !isSecretSet(settings, 'apiKey')) {
    errors.apiKey = 'Enter the IBM Cloud API key (or paste the service credential JSON below)';
  }
  if (auth === 'hmac') {
    if (!isSecretSet(settings, 'hmacAccessKeyId')) {
      errors.hmacAccessKeyId = 'Enter the HMAC access key id';
    }
    if (!isSecretSet(settings, 'hmacSecretAccessKey')) {
      errors.hmacSecretAccessKey = 'Enter the HMAC secret access key';
    }
  }
  if (auth === 'none' && usesCos(jsonData)) {
    errors.authType = 'A cos:// location needs credentials: choose API key (IAM) or HMAC keys';
  }
  return errors;
}

/** Messages per field, shown while the user edits so that "Save & test" is not the first feedback. */
export function validateSettings(settings: CloudSqlSettings): SettingsErrors {
  const { jsonData } = settings;
  const errors: SettingsErrors = {
    source: locationError(jsonData.source),
    destination: locationError(jsonData.destination),
    lakeLocation: locationError(jsonData.lakeLocation),
    cosEndpoint: endpointError(jsonData.cosEndpoint),
    cacheTtlSeconds: rangeError(jsonData.cacheTtlSeconds, 0, 30 * 86400, true),
    queryTimeoutSeconds: rangeError(jsonData.queryTimeoutSeconds, 1, 3600, false),
    rowLimit: rangeError(jsonData.rowLimit, 1, 100_000_000, true),
    queryMemoryLimitMB: rangeError(jsonData.queryMemoryLimitMB, 1, 2 ** 30, false),
    scanLimitObjects: rangeError(jsonData.scanLimitObjects, 1, 1_000_000_000, true),
    queryLimitObjects: rangeError(jsonData.queryLimitObjects, 0, 1_000_000_000, true),
    queryLimitMB: rangeError(jsonData.queryLimitMB, 0, 2 ** 30, false),
    alertLimitObjects: rangeError(jsonData.alertLimitObjects, 0, 1_000_000_000, true),
    alertLimitMB: rangeError(jsonData.alertLimitMB, 0, 2 ** 30, false),
    allowedLocations: (jsonData.allowedLocations ?? []).map(locationError).find(Boolean),
    geoCountryFile: filePathError(jsonData.geoCountryFile),
    asnFile: filePathError(jsonData.asnFile),
    subnetsFile: filePathError(jsonData.subnetsFile),
    ...authErrors(settings),
    ...engineErrors(jsonData),
  };
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message)) as SettingsErrors;
}

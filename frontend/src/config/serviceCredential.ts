import { CloudSqlSettings, withJsonData, withSecret } from './settingsUpdate';

/** What IBM's "service credential" JSON of a COS instance can give us. */
export interface ServiceCredential {
  apiKey?: string;
  serviceInstanceId?: string;
  hmac?: { accessKeyId: string; secretAccessKey: string };
}

export type ParsedCredential = { ok: true; credential: ServiceCredential } | { ok: false; error: string };

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The console shows the credential itself; some exports wrap it as {"credentials": {...}} or a list of those. */
function unwrap(parsed: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  const record = asRecord(first);
  return asRecord(record?.credentials) ?? record;
}

/** Parses pasted JSON; error messages never repeat the pasted text, which holds secrets. */
export function parseServiceCredential(pasted: string): ParsedCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pasted);
  } catch {
    return { ok: false, error: 'This is not valid JSON: paste the whole service credential, braces included.' };
  }
  const record = unwrap(parsed);
  if (!record) {
    return { ok: false, error: 'Expected a JSON object with "apikey" and "resource_instance_id".' };
  }
  const hmacKeys = asRecord(record.cos_hmac_keys);
  const accessKeyId = text(hmacKeys?.access_key_id);
  const secretAccessKey = text(hmacKeys?.secret_access_key);
  const credential: ServiceCredential = {
    apiKey: text(record.apikey),
    serviceInstanceId: text(record.resource_instance_id),
    hmac: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
  if (!credential.apiKey && !credential.hmac) {
    return { ok: false, error: 'No "apikey" and no "cos_hmac_keys" found in this JSON.' };
  }
  return { ok: true, credential };
}

/**
 * HMAC keys, when the credential has them, are what S3-style reads use directly; otherwise the API
 * key (IAM). Only the chosen secret is stored, and only in secureJsonData.
 */
export function applyServiceCredential(settings: CloudSqlSettings, credential: ServiceCredential): CloudSqlSettings {
  let next = settings;
  if (credential.serviceInstanceId) {
    next = withJsonData(next, 'serviceInstanceId', credential.serviceInstanceId);
  }
  if (credential.hmac) {
    next = withJsonData(next, 'authType', 'hmac');
    next = withSecret(next, 'hmacAccessKeyId', credential.hmac.accessKeyId);
    return withSecret(next, 'hmacSecretAccessKey', credential.hmac.secretAccessKey);
  }
  next = withJsonData(next, 'authType', 'iam');
  return credential.apiKey ? withSecret(next, 'apiKey', credential.apiKey) : next;
}

/** A sentence for the user saying what was filled in (never the values). */
export function describeCredential(credential: ServiceCredential): string {
  const filled = credential.hmac ? ['HMAC access key id', 'HMAC secret access key'] : ['API key'];
  if (credential.serviceInstanceId) {
    filled.push('service instance id');
  }
  const auth = credential.hmac ? 'HMAC keys' : 'API key (IAM)';
  return `Filled in: ${filled.join(', ')}. Authentication set to ${auth}. Save & test to store them.`;
}

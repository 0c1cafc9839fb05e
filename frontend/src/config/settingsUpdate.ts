import { DataSourceSettings } from '@grafana/data';

import { CloudSqlOptions, CloudSqlSecureOptions, SecureKey } from '../types';

export type CloudSqlSettings = DataSourceSettings<CloudSqlOptions, CloudSqlSecureOptions>;

export function withJsonData<K extends keyof CloudSqlOptions>(
  settings: CloudSqlSettings,
  key: K,
  value: CloudSqlOptions[K]
): CloudSqlSettings {
  return { ...settings, jsonData: { ...settings.jsonData, [key]: value } };
}

/** Secrets go to secureJsonData only: Grafana encrypts them and never sends them back to browsers. */
export function withSecret(settings: CloudSqlSettings, key: SecureKey, value: string): CloudSqlSettings {
  return { ...settings, secureJsonData: { ...settings.secureJsonData, [key]: value } };
}

/** "Reset" of a stored secret: forget it on save and let the user type a new one. */
export function withSecretReset(settings: CloudSqlSettings, key: SecureKey): CloudSqlSettings {
  return {
    ...settings,
    secureJsonFields: { ...settings.secureJsonFields, [key]: false },
    secureJsonData: { ...settings.secureJsonData, [key]: '' },
  };
}

/** True when the secret is stored already or typed in this session. */
export function isSecretSet(settings: CloudSqlSettings, key: SecureKey): boolean {
  return Boolean(settings.secureJsonFields?.[key]) || Boolean(settings.secureJsonData?.[key]);
}

import React from 'react';

import { Field, Input, SecretInput } from '@grafana/ui';

import { CloudSqlSettings, withJsonData, withSecret, withSecretReset } from '../../config/settingsUpdate';
import { CloudSqlOptions, SecureKey } from '../../types';

/** Props every settings field shares: the settings, their setter and the field's texts. */
interface CommonProps {
  settings: CloudSqlSettings;
  onChange: (settings: CloudSqlSettings) => void;
  label: string;
  description: string;
  error?: string;
}

type TextKey = { [K in keyof CloudSqlOptions]-?: CloudSqlOptions[K] extends string | undefined ? K : never }[keyof CloudSqlOptions];
type NumberKey = { [K in keyof CloudSqlOptions]-?: CloudSqlOptions[K] extends number | undefined ? K : never }[keyof CloudSqlOptions];

const INPUT_WIDTH = 60;

export function TextSettingField({
  settings,
  onChange,
  label,
  description,
  error,
  settingKey,
  placeholder,
}: CommonProps & { settingKey: TextKey; placeholder?: string }) {
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error}>
      <Input
        id={`config-${settingKey}`}
        aria-label={label}
        width={INPUT_WIDTH}
        placeholder={placeholder}
        value={(settings.jsonData[settingKey] as string | undefined) ?? ''}
        onChange={(event) => onChange(withJsonData(settings, settingKey, event.currentTarget.value))}
      />
    </Field>
  );
}

export function NumberSettingField({
  settings,
  onChange,
  label,
  description,
  error,
  settingKey,
  placeholder,
}: CommonProps & { settingKey: NumberKey; placeholder: string }) {
  const value = settings.jsonData[settingKey];
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error}>
      <Input
        id={`config-${settingKey}`}
        aria-label={label}
        type="number"
        width={20}
        placeholder={placeholder}
        value={value === undefined ? '' : String(value)}
        onChange={(event) => {
          const text = event.currentTarget.value.trim();
          // Empty means "use the backend's default", so the key is left out rather than stored as 0.
          onChange(withJsonData(settings, settingKey, text === '' ? undefined : Number(text)));
        }}
      />
    </Field>
  );
}

export function SecretSettingField({
  settings,
  onChange,
  label,
  description,
  error,
  secretKey,
}: CommonProps & { secretKey: SecureKey }) {
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error}>
      <SecretInput
        id={`config-${secretKey}`}
        aria-label={label}
        width={INPUT_WIDTH}
        placeholder="stored encrypted, never shown again"
        isConfigured={Boolean(settings.secureJsonFields?.[secretKey])}
        value={settings.secureJsonData?.[secretKey] ?? ''}
        onChange={(event) => onChange(withSecret(settings, secretKey, event.currentTarget.value))}
        onReset={() => onChange(withSecretReset(settings, secretKey))}
      />
    </Field>
  );
}

import React from 'react';

import { Field, FieldSet, RadioButtonGroup } from '@grafana/ui';

import { withJsonData } from '../../config/settingsUpdate';
import { AuthType } from '../../types';
import { CredentialPaste } from './CredentialPaste';
import { SecretSettingField, TextSettingField } from './fields';
import { SectionProps } from './sectionProps';

const AUTH_TYPES: Array<{ label: string; value: AuthType }> = [
  { label: 'None', value: 'none' },
  { label: 'API key (IAM)', value: 'iam' },
  { label: 'HMAC keys', value: 'hmac' },
];

export function AuthSection({ settings, onChange, errors }: SectionProps) {
  const authType = settings.jsonData.authType ?? 'none';
  return (
    <FieldSet label="Authentication">
      <Field
        label="Authentication"
        description="How the plugin signs in to COS (and to Data Engine). None is for local folders and public buckets."
        invalid={Boolean(errors.authType)}
        error={errors.authType}
      >
        <RadioButtonGroup<AuthType>
          options={AUTH_TYPES}
          value={authType}
          onChange={(value) => onChange(withJsonData(settings, 'authType', value))}
        />
      </Field>
      {authType === 'iam' && (
        <>
          <SecretSettingField
            settings={settings}
            onChange={onChange}
            secretKey="apiKey"
            label="IBM Cloud API key"
            description="An API key of a user or service ID with Reader (or Writer, for $__dest) access to the buckets"
            error={errors.apiKey}
          />
          <TextSettingField
            settings={settings}
            onChange={onChange}
            settingKey="serviceInstanceId"
            label="Service instance id"
            description="The COS instance's resource_instance_id (CRN); needed for bucket listing with IAM"
            placeholder="crn:v1:bluemix:public:cloud-object-storage:global:a/...::"
            error={errors.serviceInstanceId}
          />
        </>
      )}
      {authType === 'hmac' && (
        <>
          <SecretSettingField
            settings={settings}
            onChange={onChange}
            secretKey="hmacAccessKeyId"
            label="HMAC access key id"
            description="access_key_id from the credential's cos_hmac_keys"
            error={errors.hmacAccessKeyId}
          />
          <SecretSettingField
            settings={settings}
            onChange={onChange}
            secretKey="hmacSecretAccessKey"
            label="HMAC secret access key"
            description="secret_access_key from the credential's cos_hmac_keys"
            error={errors.hmacSecretAccessKey}
          />
        </>
      )}
      <CredentialPaste settings={settings} onChange={onChange} />
    </FieldSet>
  );
}

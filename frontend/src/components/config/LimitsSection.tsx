import React from 'react';

import { FieldSet } from '@grafana/ui';

import { NumberSettingField } from './fields';
import { SectionProps } from './sectionProps';

export function LimitsSection({ settings, onChange, errors }: SectionProps) {
  return (
    <FieldSet label="Limits and caching">
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="cacheTtlSeconds"
        label="Cache TTL (seconds)"
        description="How long a query result is reused for the same SQL and time range; 0 turns the cache off"
        placeholder="300"
        error={errors.cacheTtlSeconds}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="queryTimeoutSeconds"
        label="Query timeout (seconds)"
        description="A query still running after this long is cancelled (1 to 3600)"
        placeholder="120"
        error={errors.queryTimeoutSeconds}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="rowLimit"
        label="Row limit"
        description="The most rows one query may return (1 to 100,000,000)"
        placeholder="1000000"
        error={errors.rowLimit}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="queryMemoryLimitMB"
        label="Query memory limit (MB)"
        description="The most memory one query's answer may take in the plugin; a bigger answer is refused with a message. Default: 2 KiB per row of the row limit, at least 256 MB"
        placeholder="2000"
        error={errors.queryMemoryLimitMB}
      />
    </FieldSet>
  );
}

import React from 'react';

import { Field, FieldSet, RadioButtonGroup } from '@grafana/ui';

import { withJsonData } from '../../config/settingsUpdate';
import { DamagedObjects, SourceFormat } from '../../types';
import { TextSettingField } from './fields';
import { SectionProps } from './sectionProps';

const SOURCE_FORMATS: Array<{ label: string; value: SourceFormat }> = [
  { label: 'VPC flow logs', value: 'flowlogs' },
  { label: 'JSON', value: 'json' },
  { label: 'Parquet', value: 'parquet' },
  { label: 'CSV', value: 'csv' },
];

const DAMAGED_OBJECTS: Array<{ label: string; value: DamagedObjects }> = [
  { label: 'Leave out with a warning', value: 'skip' },
  { label: 'Fail the query', value: 'fail' },
];

export function StorageSection({ settings, onChange, errors }: SectionProps) {
  return (
    <FieldSet label="Data location">
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="source"
        label="Source"
        description="What $__source reads: cos://<region>/<bucket>/<prefix> or an absolute folder on the Grafana server"
        placeholder="cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/"
        error={errors.source}
      />
      <Field label="Source format" description="How the objects under Source are stored">
        <RadioButtonGroup<SourceFormat>
          options={SOURCE_FORMATS}
          value={settings.jsonData.sourceFormat ?? 'flowlogs'}
          onChange={(value) => onChange(withJsonData(settings, 'sourceFormat', value))}
        />
      </Field>
      {(settings.jsonData.sourceFormat ?? 'flowlogs') === 'flowlogs' && (
        <Field
          label="Damaged objects"
          description="A flow-log object that is not gzip JSON (truncated, invalid): left out, with a warning naming it, or an error"
        >
          <RadioButtonGroup<DamagedObjects>
            options={DAMAGED_OBJECTS}
            value={settings.jsonData.damagedObjects ?? 'skip'}
            onChange={(value) => onChange(withJsonData(settings, 'damagedObjects', value))}
          />
        </Field>
      )}
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="destination"
        label="Destination"
        description="Where $__dest writes query results: cos://<region>/<bucket>/<prefix> or an absolute folder (optional)"
        placeholder="cos://us-south/my-results/grafana/"
        error={errors.destination}
      />
      {(settings.jsonData.sourceFormat ?? 'flowlogs') === 'flowlogs' && (
        <TextSettingField
          settings={settings}
          onChange={onChange}
          settingKey="lakeLocation"
          label="Flow lake"
          description="Where the plugin compacts settled days of flow logs into Parquet, so a fresh plugin or Spark reads one file per day: cos://<region>/<bucket>/<prefix> or a folder inside the source, the destination or an allowed location (optional)"
          placeholder="cos://us-south/my-flowlogs/lake/"
          error={errors.lakeLocation}
        />
      )}
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="cosEndpoint"
        label="COS endpoint"
        description="Overrides the endpoint derived from the region in cos:// URLs (private endpoints, S3-compatible stores)"
        placeholder="https://s3.private.us-south.cloud-object-storage.appdomain.cloud"
        error={errors.cosEndpoint}
      />
    </FieldSet>
  );
}

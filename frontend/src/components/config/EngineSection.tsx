import React from 'react';

import { Field, FieldSet, RadioButtonGroup } from '@grafana/ui';

import { withJsonData } from '../../config/settingsUpdate';
import { Engine } from '../../types';
import { SecretSettingField, TextSettingField } from './fields';
import { SectionProps } from './sectionProps';

const ENGINES: Array<{ label: string; value: Engine; description: string }> = [
  { label: 'Embedded DuckDB', value: 'duckdb', description: 'Runs inside the plugin; reads COS or local folders' },
  { label: 'Spark Connect', value: 'spark', description: 'Sends the SQL to a Spark Connect server' },
  { label: 'IBM Data Engine', value: 'dataengine', description: 'IBM Cloud Data Engine (SQL Query) instance' },
];

export function EngineSection({ settings, onChange, errors }: SectionProps) {
  const engine = settings.jsonData.engine ?? 'duckdb';
  return (
    <FieldSet label="Query engine">
      <Field label="Engine" description="Where the SQL runs. The query language is the same for all three.">
        <RadioButtonGroup<Engine>
          options={ENGINES}
          value={engine}
          onChange={(value) => onChange(withJsonData(settings, 'engine', value))}
        />
      </Field>
      {engine === 'spark' && (
        <>
          <TextSettingField
            settings={settings}
            onChange={onChange}
            settingKey="sparkUrl"
            label="Spark Connect URL"
            description="Address of the Spark Connect server, e.g. sc://spark-host:15002"
            placeholder="sc://spark-host:15002"
            error={errors.sparkUrl}
          />
          <SecretSettingField
            settings={settings}
            onChange={onChange}
            secretKey="sparkToken"
            label="Spark Connect token"
            description="Bearer token sent to the Spark Connect server, if it requires one"
            error={errors.sparkToken}
          />
        </>
      )}
      {engine === 'dataengine' && (
        <TextSettingField
          settings={settings}
          onChange={onChange}
          settingKey="dataEngineInstanceCrn"
          label="Data Engine instance CRN"
          description="The CRN of your IBM Data Engine instance (crn:v1:bluemix:public:sql-query:...)"
          placeholder="crn:v1:bluemix:public:sql-query:us-south:a/...::"
          error={errors.dataEngineInstanceCrn}
        />
      )}
    </FieldSet>
  );
}

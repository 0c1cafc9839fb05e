import React from 'react';

import { Field, FieldSet, RadioButtonGroup, TextArea } from '@grafana/ui';

import { withJsonData } from '../../config/settingsUpdate';
import { UnfilteredQueries } from '../../types';
import { NumberSettingField } from './fields';
import { SectionProps } from './sectionProps';

const UNFILTERED_QUERIES: Array<{ label: string; value: UnfilteredQueries }> = [
  { label: 'Dashboard time range', value: 'dashboardRange' },
  { label: 'Whole source (as IBM SQL Query)', value: 'wholeSource' },
];

/** One location per line in the editor; stored as the list the backend reads (settings/confinement.py). */
function locationsFromText(text: string): string[] | undefined {
  const locations = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return locations.length ? locations : undefined;
}

/**
 * What a query may read: which further cos:// locations SQL may name, what a query without a time filter
 * scans, and the objects/bytes budgets (docs/estimates-and-budgets.md). One section, because the backend
 * checks them as one rule before anything is downloaded.
 */
export function ScanBudgetSection({ settings, onChange, errors }: SectionProps) {
  const { jsonData } = settings;
  return (
    <FieldSet label="What a query may read">
      <Field
        label="Other locations"
        description="cos:// locations (one per line) that FROM cos://… and INTO cos://… may name besides Source and Destination"
        invalid={Boolean(errors.allowedLocations)}
        error={errors.allowedLocations}
      >
        <TextArea
          id="config-allowedLocations"
          aria-label="Other locations"
          rows={3}
          placeholder="cos://us-south/shared-flowlogs/ibm_vpc_flowlogs_v1/"
          value={(jsonData.allowedLocations ?? []).join('\n')}
          onChange={(event) => onChange(withJsonData(settings, 'allowedLocations', locationsFromText(event.currentTarget.value)))}
        />
      </Field>
      <Field
        label="Queries without a time filter"
        description="What a flow-log query reads when its SQL bounds no time: the dashboard range, or every object of the source up to the scan limit"
      >
        <RadioButtonGroup<UnfilteredQueries>
          options={UNFILTERED_QUERIES}
          value={jsonData.unfilteredQueries ?? 'dashboardRange'}
          onChange={(value) => onChange(withJsonData(settings, 'unfilteredQueries', value))}
        />
      </Field>
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="scanLimitObjects"
        label="Scan limit (objects)"
        description="The most objects a query may read when it reaches an end of the source because it bounds no time on that side"
        placeholder="100000"
        error={errors.scanLimitObjects}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="queryLimitObjects"
        label="Budget per query (objects)"
        description="The most objects one query may read after pruning; above it the query is refused with the estimate. 0: no limit"
        placeholder="0"
        error={errors.queryLimitObjects}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="queryLimitMB"
        label="Budget per query (MB)"
        description="The most bytes (MB) one query may read after pruning. 0: no limit"
        placeholder="0"
        error={errors.queryLimitMB}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="alertLimitObjects"
        label="Budget per alert query (objects)"
        description="The most objects an alert rule's query may read, so an evaluation ends within Grafana's 30 s. 0: no limit"
        placeholder="50000"
        error={errors.alertLimitObjects}
      />
      <NumberSettingField
        settings={settings}
        onChange={onChange}
        settingKey="alertLimitMB"
        label="Budget per alert query (MB)"
        description="The most bytes (MB) an alert rule's query may read. 0: no limit"
        placeholder="2048"
        error={errors.alertLimitMB}
      />
    </FieldSet>
  );
}

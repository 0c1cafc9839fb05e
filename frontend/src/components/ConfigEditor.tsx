import React from 'react';

import { DataSourcePluginOptionsEditorProps } from '@grafana/data';

import { validateSettings } from '../config/validation';
import { CloudSqlOptions, CloudSqlSecureOptions } from '../types';
import { AuthSection } from './config/AuthSection';
import { EngineSection } from './config/EngineSection';
import { EnrichmentSection } from './config/EnrichmentSection';
import { LimitsSection } from './config/LimitsSection';
import { ScanBudgetSection } from './config/ScanBudgetSection';
import { StorageSection } from './config/StorageSection';

type Props = DataSourcePluginOptionsEditorProps<CloudSqlOptions, CloudSqlSecureOptions>;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const errors = validateSettings(options);
  const sectionProps = { settings: options, onChange: onOptionsChange, errors };
  return (
    <div data-testid="config-editor">
      <EngineSection {...sectionProps} />
      <StorageSection {...sectionProps} />
      <AuthSection {...sectionProps} />
      <LimitsSection {...sectionProps} />
      <ScanBudgetSection {...sectionProps} />
      <EnrichmentSection {...sectionProps} />
    </div>
  );
}

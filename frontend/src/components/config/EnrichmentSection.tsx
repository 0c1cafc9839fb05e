import React from 'react';

import { FieldSet } from '@grafana/ui';

import { TextSettingField } from './fields';
import { SectionProps } from './sectionProps';

/** The datasource's own enrichment files; empty fields use the data bundled with the plugin. */
export function EnrichmentSection({ settings, onChange, errors }: SectionProps) {
  return (
    <FieldSet label="Flow enrichment">
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="geoCountryFile"
        label="Country file"
        description="Absolute path on the Grafana server of a CSV file (network,country) or a MaxMind DB file (.mmdb: Country or City) used by geo_country instead of the bundled data"
        placeholder="bundled data"
        error={errors.geoCountryFile}
      />
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="asnFile"
        label="ASN file"
        description="Absolute path of a CSV file (network,asn,as_name) or a MaxMind DB file (.mmdb: ASN) used by asn and as_name instead of the bundled data"
        placeholder="bundled data"
        error={errors.asnFile}
      />
      <TextSettingField
        settings={settings}
        onChange={onChange}
        settingKey="subnetsFile"
        label="Subnet names file"
        description="Absolute path of a CSV file (network,name) naming your own subnets and peers for subnet_name"
        placeholder="none"
        error={errors.subnetsFile}
      />
    </FieldSet>
  );
}

import React from 'react';

import { InlineField, InlineSwitch, Input, RadioButtonGroup } from '@grafana/ui';

import { CloudSqlQuery, QueryFormat } from '../types';
import { QUERY_TOOLTIPS } from './tooltips';

const FORMAT_OPTIONS: Array<{ label: string; value: QueryFormat }> = [
  { label: 'Table', value: 'table' },
  { label: 'Time series', value: 'time_series' },
  { label: 'Logs', value: 'logs' },
];

/** Empty means "the datasource's TTL", so the key is dropped rather than stored as 0. */
function parseTtl(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

interface Props {
  query: CloudSqlQuery;
  compact: boolean;
  /** The flow query builder sets Format, Time Column and Metrics column itself: show only the rest. */
  builderOwned?: boolean;
  onChange: (query: CloudSqlQuery) => void;
  onRunQuery: () => void;
}

/** Format, Time Column, Metrics column, per-query cache TTL and Get Queried Result. */
export function QueryOptions({ query, compact, builderOwned = false, onChange, onRunQuery }: Props) {
  const labelWidth = compact ? undefined : 16;
  const inputWidth = compact ? 16 : 20;
  const changeAndRun = (next: CloudSqlQuery) => {
    onChange(next);
    onRunQuery();
  };
  // A fragment: the query editor lays these out in one wrapping row with its own actions.
  return (
    <>
      {!builderOwned && (
        <>
          <InlineField label="Format" labelWidth={labelWidth} tooltip={QUERY_TOOLTIPS.format}>
            <RadioButtonGroup<QueryFormat>
              options={FORMAT_OPTIONS}
              value={query.format ?? 'table'}
              onChange={(format) => changeAndRun({ ...query, format })}
            />
          </InlineField>
          <InlineField label="Time Column" labelWidth={labelWidth} tooltip={QUERY_TOOLTIPS.timeColumn}>
            <Input
              aria-label="Time Column"
              width={inputWidth}
              placeholder="auto"
              value={query.timeColumn ?? ''}
              onChange={(event) => onChange({ ...query, timeColumn: event.currentTarget.value })}
              onBlur={onRunQuery}
            />
          </InlineField>
          <InlineField label="Metrics column" labelWidth={labelWidth} tooltip={QUERY_TOOLTIPS.metricsColumn}>
            <Input
              aria-label="Metrics column"
              width={inputWidth}
              placeholder="auto"
              value={query.metricsColumn ?? ''}
              onChange={(event) => onChange({ ...query, metricsColumn: event.currentTarget.value })}
              onBlur={onRunQuery}
            />
          </InlineField>
        </>
      )}
      <InlineField label="Cache TTL" labelWidth={compact ? undefined : 14} tooltip={QUERY_TOOLTIPS.cacheTtl}>
        <Input
          aria-label="Cache TTL"
          type="number"
          width={12}
          placeholder="default"
          value={query.cacheTtlSeconds ?? ''}
          onChange={(event) => onChange({ ...query, cacheTtlSeconds: parseTtl(event.currentTarget.value) })}
          onBlur={onRunQuery}
        />
      </InlineField>
      <InlineField label="Get Queried Result" labelWidth={compact ? undefined : 20} tooltip={QUERY_TOOLTIPS.getResult}>
        <InlineSwitch
          aria-label="Get Queried Result"
          value={query.getResult ?? true}
          onChange={(event) => changeAndRun({ ...query, getResult: event.currentTarget.checked })}
        />
      </InlineField>
    </>
  );
}

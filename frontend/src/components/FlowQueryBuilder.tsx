import { css } from '@emotion/css';
import React from 'react';

import { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { Button, IconButton, InlineField, InlineFieldRow, Input, MultiSelect, RadioButtonGroup, Select, useStyles2 } from '@grafana/ui';

import {
  BuilderFilter,
  FilterOperator,
  FLOW_COLUMNS,
  FlowBuilderState,
  FlowColumn,
  Measure,
  MEASURES,
} from '../builder/model';
import { DEFAULT_LOG_LINES } from '../builder/sql';
import { QueryFormat } from '../types';

const LABEL_WIDTH = 14;

const MEASURE_OPTIONS = Object.entries(MEASURES).map(([value, { label }]) => ({ label, value: value as Measure }));
const COLUMN_OPTIONS: Array<SelectableValue<FlowColumn>> = Object.entries(FLOW_COLUMNS).map(([value, { label }]) => ({
  label,
  value: value as FlowColumn,
  description: value,
}));
const OPERATOR_OPTIONS: Array<{ label: string; value: FilterOperator }> = [
  { label: '=', value: '=' },
  { label: '≠', value: '!=' },
];
const FORMAT_OPTIONS: Array<{ label: string; value: QueryFormat }> = [
  { label: 'Time series', value: 'time_series' },
  { label: 'Table', value: 'table' },
  { label: 'Logs', value: 'logs' },
];

export const BUILDER_TOOLTIPS = {
  measure: 'What each row or point counts: flows, bytes or packets in both directions, or the share of rejected flows (0–1).',
  groupBy: 'One row, or one series, per distinct combination of these columns.',
  filters: 'Only flows matching every filter. Values may be template variables such as ${target_ip}.',
  topN: 'Keep only the N groups with the largest measure (table only).',
  lines: `Logs: the newest N flow records, one log line each (empty: ${DEFAULT_LOG_LINES}). Measure and Group by do not apply.`,
  interval: 'Bucket width such as 5m or 1h; empty uses the panel interval ($__interval).',
} as const;

interface Props {
  state: FlowBuilderState;
  format: QueryFormat;
  sql: string;
  onChange: (state: FlowBuilderState, format: QueryFormat) => void;
}

/** The flow query builder: measure, grouping, filters and shape of a FLOW_FLAT query, and the SQL it writes. */
export function FlowQueryBuilder({ state, format, sql, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const update = (patch: Partial<FlowBuilderState>) => onChange({ ...state, ...patch }, format);
  const updateFilter = (index: number, patch: Partial<BuilderFilter>) =>
    update({ filters: state.filters.map((filter, i) => (i === index ? { ...filter, ...patch } : filter)) });

  return (
    <div data-testid="flow-builder">
      <InlineFieldRow>
        {format !== 'logs' && (
          <InlineField label="Measure" labelWidth={LABEL_WIDTH} tooltip={BUILDER_TOOLTIPS.measure}>
            <RadioButtonGroup<Measure> options={MEASURE_OPTIONS} value={state.measure} onChange={(measure) => update({ measure })} />
          </InlineField>
        )}
        <InlineField label="Shape">
          <RadioButtonGroup<QueryFormat> options={FORMAT_OPTIONS} value={format} onChange={(next) => onChange(state, next)} />
        </InlineField>
      </InlineFieldRow>
      {format !== 'logs' && (
        <InlineFieldRow>
          <InlineField label="Group by" labelWidth={LABEL_WIDTH} tooltip={BUILDER_TOOLTIPS.groupBy} grow>
            <MultiSelect<FlowColumn>
              aria-label="Group by"
              options={COLUMN_OPTIONS}
              value={state.groupBy}
              placeholder="nothing: one total"
              onChange={(items) => update({ groupBy: items.map((item) => item.value!) })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {state.filters.map((filter, index) => (
        <InlineFieldRow key={index} data-testid="builder-filter">
          <InlineField label={index === 0 ? 'Filter' : 'and'} labelWidth={LABEL_WIDTH} tooltip={BUILDER_TOOLTIPS.filters}>
            <Select<FlowColumn>
              aria-label={`Filter ${index + 1} column`}
              width={24}
              options={COLUMN_OPTIONS}
              value={filter.column}
              onChange={(item) => updateFilter(index, { column: item.value! })}
            />
          </InlineField>
          <RadioButtonGroup<FilterOperator>
            options={OPERATOR_OPTIONS}
            value={filter.operator}
            onChange={(operator) => updateFilter(index, { operator })}
          />
          <Input
            aria-label={`Filter ${index + 1} value`}
            width={28}
            value={filter.value}
            onChange={(event) => updateFilter(index, { value: event.currentTarget.value })}
          />
          <IconButton
            name="trash-alt"
            aria-label={`Remove filter ${index + 1}`}
            onClick={() => update({ filters: state.filters.filter((_, i) => i !== index) })}
          />
        </InlineFieldRow>
      ))}
      <InlineFieldRow>
        <Button
          variant="secondary"
          size="sm"
          icon="plus"
          className={styles.addFilter}
          onClick={() => update({ filters: [...state.filters, { column: 'target_ip', operator: '=', value: '' }] })}
        >
          Add filter
        </Button>
        {format === 'logs' && (
          <InlineField label="Lines" tooltip={BUILDER_TOOLTIPS.lines}>
            <Input
              aria-label="Lines"
              type="number"
              min={0}
              width={10}
              placeholder={String(DEFAULT_LOG_LINES)}
              value={state.topN ?? ''}
              onChange={(event) => update({ topN: parseTopN(event.currentTarget.value) })}
            />
          </InlineField>
        )}
        {format === 'table' && (
          <InlineField label="Top N" tooltip={BUILDER_TOOLTIPS.topN}>
            <Input
              aria-label="Top N"
              type="number"
              min={0}
              width={10}
              placeholder="all"
              value={state.topN ?? ''}
              onChange={(event) => update({ topN: parseTopN(event.currentTarget.value) })}
            />
          </InlineField>
        )}
        {format === 'time_series' && (
          <InlineField label="Interval" tooltip={BUILDER_TOOLTIPS.interval}>
            <Input
              aria-label="Interval"
              width={12}
              placeholder="$__interval"
              value={state.interval ?? ''}
              onChange={(event) => update({ interval: event.currentTarget.value || undefined })}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <pre data-testid="builder-sql" aria-label="SQL written by the builder" className={styles.sql}>
        {sql}
      </pre>
    </div>
  );
}

/** Empty or not a positive number: no limit, so the key is dropped rather than stored as 0. */
function parseTopN(text: string): number | undefined {
  const value = Math.floor(Number(text));
  return text.trim() === '' || !Number.isFinite(value) || value <= 0 ? undefined : value;
}

const getStyles = (theme: GrafanaTheme2) => ({
  addFilter: css({ marginRight: theme.spacing(1), alignSelf: 'center' }),
  sql: css({ marginTop: theme.spacing(1), fontSize: theme.typography.bodySmall.fontSize, whiteSpace: 'pre-wrap' }),
});

import { css } from '@emotion/css';
import React, { useCallback, useEffect, useMemo, useState } from 'react';

import { CoreApp, getDefaultTimeRange, GrafanaTheme2, LoadingState, QueryEditorProps } from '@grafana/data';
import { Alert, InlineField, InlineFieldRow, InlineSwitch, useStyles2 } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { applyBuilder, builderStateOf, EditorMode, isBuilderSql, openingMode } from '../builder/mode';
import { completionCandidates } from '../editor/sqlCompletion';
import { useEditorReference } from '../editor/useEditorReference';
import { EstimateInput, useQueryEstimate } from '../editor/useQueryEstimate';
import { useResourcePreview } from '../editor/useResourcePreview';
import { formatSql } from '../query/formatSql';
import { hasLegacyKeys, migrateQuery } from '../query/migrate';
import { CloudSqlOptions, CloudSqlQuery } from '../types';
import { EditorModeSwitch } from './EditorModeSwitch';
import { FlowQueryBuilder } from './FlowQueryBuilder';
import { MacroHelp } from './MacroHelp';
import { PlanPreview } from './PlanPreview';
import { QueryEstimate } from './QueryEstimate';
import { QueryOptions } from './QueryOptions';
import { RunControls } from './RunControls';
import { SqlCodeEditor } from './SqlCodeEditor';
import { SqlPreview } from './SqlPreview';
import { QUERY_TOOLTIPS } from './tooltips';

export type Props = QueryEditorProps<DataSource, CloudSqlQuery, CloudSqlOptions>;

/** Explore and the alert-rule editor give a query little room: smaller editor, narrower labels. */
const COMPACT_APPS: Array<CoreApp | string> = [CoreApp.Explore, CoreApp.UnifiedAlerting];

export function QueryEditor({ query, onChange, onRunQuery, datasource, range, app, data }: Props) {
  const styles = useStyles2(getStyles);
  const compact = app !== undefined && COMPACT_APPS.includes(app);
  const current = migrateQuery(query);
  // Where the query opens is decided once: later edits switch modes only through the toggle.
  const [opening] = useState(() => openingMode(current));
  const [mode, setMode] = useState<EditorMode>(opening.mode);
  const [showHelp, setShowHelp] = useState(false);
  const editorReference = useEditorReference(datasource);
  const expandSql = useCallback<typeof datasource.expandSql>((...args) => datasource.expandSql(...args), [datasource]);
  const explainPlan = useCallback<typeof datasource.explainPlan>((...args) => datasource.explainPlan(...args), [datasource]);
  const estimator = useCallback(
    ({ query, range, intervalMs, filters, fromAlert }: EstimateInput) => datasource.estimate(query, range, intervalMs, filters, fromAlert),
    [datasource]
  );
  const { state: previewState, preview, close: closePreview } = useResourcePreview(expandSql);
  const { state: planState, preview: showPlan, close: closePlan } = useResourcePreview(explainPlan);
  // Without a range from Grafana, one fixed default: a new "now" on each render would re-estimate forever.
  const [defaultRange] = useState(getDefaultTimeRange);
  const timeRange = range ?? defaultRange;
  const estimate = useQueryEstimate(estimator, {
    query: current,
    range: timeRange,
    intervalMs: data?.request?.intervalMs,
    filters: data?.request?.filters,
    fromAlert: app === CoreApp.UnifiedAlerting,
  });
  const candidates = useMemo(
    () => completionCandidates(editorReference.reference, editorReference.columns),
    [editorReference]
  );
  const running = data?.state === LoadingState.Loading;
  const requestId = data?.request?.requestId;

  // Dashboards from the original plugin carry queryText/time_column/...: store them under the new keys.
  useEffect(() => {
    if (hasLegacyKeys(query)) {
      onChange(migrateQuery(query));
    }
  }, [query, onChange]);

  const onSqlChange = (rawSql: string) => {
    if (rawSql !== (current.rawSql ?? '')) {
      onChange({ ...current, rawSql, editorMode: 'code' });
    }
  };
  const onSqlRun = (rawSql: string) => {
    onChange({ ...current, rawSql, editorMode: 'code' });
    onRunQuery();
  };
  const onModeChange = (next: EditorMode) => {
    setMode(next);
    onChange(next === 'builder' ? applyBuilder(current, builderStateOf(current)) : { ...current, editorMode: 'code' });
  };
  const onFormat = () => {
    const rawSql = formatSql(current.rawSql ?? '');
    if (rawSql !== current.rawSql) {
      onChange({ ...current, rawSql, editorMode: 'code' });
    }
  };
  const onStop = () => {
    if (requestId) {
      datasource.stop(requestId);
    }
  };
  const onPreview = () => {
    preview(current, timeRange, data?.request?.intervalMs, data?.request?.filters);
  };
  const onPlan = () => {
    showPlan(current, timeRange, data?.request?.intervalMs, data?.request?.filters);
  };
  const sqlIsEmpty = (current.rawSql ?? '').trim() === '';

  return (
    <div data-testid="query-editor" data-layout={compact ? 'compact' : 'full'} data-mode={mode}>
      <InlineFieldRow className={styles.header}>
        <EditorModeSwitch mode={mode} confirmToBuilder={!sqlIsEmpty && !isBuilderSql(current)} onChange={onModeChange} />
        <RunControls
          running={running}
          onRun={onRunQuery}
          onStop={onStop}
          onFormat={mode === 'code' ? onFormat : undefined}
          onPreview={onPreview}
          onPlan={onPlan}
        />
      </InlineFieldRow>
      {mode === 'code' && opening.note && (
        <Alert severity="info" title="Opened in the code editor" data-testid="hand-edited-note">
          {opening.note}
        </Alert>
      )}
      {mode === 'builder' ? (
        <FlowQueryBuilder
          state={builderStateOf(current)}
          format={current.format ?? 'table'}
          sql={current.rawSql ?? ''}
          onChange={(state, format) => onChange(applyBuilder(current, state, format))}
        />
      ) : (
        <SqlCodeEditor
          value={current.rawSql ?? ''}
          height={compact ? 120 : 220}
          candidates={candidates}
          onChange={onSqlChange}
          onRun={onSqlRun}
        />
      )}
      <QueryEstimate state={estimate} />
      <InlineFieldRow className={styles.toolbar}>
        <QueryOptions
          query={current}
          compact={compact}
          builderOwned={mode === 'builder'}
          onChange={onChange}
          onRunQuery={onRunQuery}
        />
        <InlineField label="Show help" tooltip={QUERY_TOOLTIPS.showHelp}>
          <InlineSwitch
            aria-label="Show help"
            value={showHelp}
            onChange={(event) => setShowHelp(event.currentTarget.checked)}
          />
        </InlineField>
      </InlineFieldRow>
      <SqlPreview state={previewState} onClose={closePreview} />
      <PlanPreview state={planState} onClose={closePlan} />
      {showHelp && (
        <MacroHelp
          reference={editorReference.reference}
          loading={editorReference.loading}
          problems={editorReference.problems}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  header: css({ marginBottom: theme.spacing(1), alignItems: 'center', gap: theme.spacing(1) }),
  toolbar: css({ marginTop: theme.spacing(1) }),
});

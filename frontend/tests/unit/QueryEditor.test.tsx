import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import { CoreApp, dateTime, LoadingState, PanelData } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';

import { applyBuilder, HAND_EDITED_NOTE } from '../../src/builder/mode';
import { QueryEditor } from '../../src/components/QueryEditor';
import { CloudSqlQuery } from '../../src/types';
import { createDataSource } from '../../testing/createDataSource';
import { createFakeTemplateSrv } from '../../testing/fakeTemplateSrv';
import { createStubBackendSrv, StubOptions } from '../../testing/stubBackendSrv';

vi.mock('@grafana/ui', async (importOriginal) => {
  const { CodeEditorStub } = await import('../mocks/codeEditorStub');
  return { ...(await importOriginal<object>()), CodeEditor: CodeEditorStub };
});

/** Lets the editor's backend look-ups (macros, schema) finish inside act(). */
const settled = () => act(async () => {});

const RANGE = { from: dateTime(Date.UTC(2026, 0, 1)), to: dateTime(Date.UTC(2026, 0, 2)), raw: { from: 'now-1d', to: 'now' } };

function setup(initial: object, options: { app?: CoreApp; backend?: StubOptions; data?: PanelData } = {}) {
  const stub = createStubBackendSrv(options.backend);
  setBackendSrv(stub.backendSrv);
  setTemplateSrv(createFakeTemplateSrv({}));
  const datasource = createDataSource();
  const changes: CloudSqlQuery[] = [];
  const onRunQuery = vi.fn();
  function Stateful() {
    const [query, setQuery] = useState(initial as unknown as CloudSqlQuery);
    const onChange = (next: CloudSqlQuery) => {
      changes.push(next);
      setQuery(next);
    };
    return (
      <QueryEditor
        query={query}
        onChange={onChange}
        onRunQuery={onRunQuery}
        datasource={datasource}
        range={RANGE}
        app={options.app}
        data={options.data}
      />
    );
  }
  render(<Stateful />);
  const last = () => changes[changes.length - 1];
  return { changes, last, onRunQuery, requests: stub.requests, datasource };
}

describe('QueryEditor', () => {
  it('migrates a query of the original plugin to the current keys', async () => {
    const { last } = setup({ refId: 'A', queryText: 'SELECT 1', time_column: 'tt', metrics_column: 'ua', get_result: false });
    await waitFor(() => expect(last()).toEqual({ refId: 'A', rawSql: 'SELECT 1', timeColumn: 'tt', metricsColumn: 'ua', getResult: false }));
    expect(screen.getByLabelText('SQL editor')).toHaveValue('SELECT 1');
    expect(screen.getByLabelText('Time Column')).toHaveValue('tt');
  });

  it('stores the SQL when the editor loses focus, without running it', async () => {
    const { last, onRunQuery } = setup({ refId: 'A', rawSql: '' });
    const editor = screen.getByLabelText('SQL editor');
    await userEvent.type(editor, 'SELECT 42');
    fireEvent.blur(editor);
    expect(last()).toMatchObject({ rawSql: 'SELECT 42' });
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it.each([
    ['Shift+Enter', { shiftKey: true }],
    ['Ctrl+Enter', { ctrlKey: true }],
  ])('runs the query on %s', async (_name, modifiers) => {
    const { last, onRunQuery } = setup({ refId: 'A', rawSql: '' });
    const editor = screen.getByLabelText('SQL editor');
    fireEvent.change(editor, { target: { value: 'SELECT 7' } });
    fireEvent.keyDown(editor, { key: 'Enter', ...modifiers });
    expect(last()).toMatchObject({ rawSql: 'SELECT 7' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await settled();
  });

  it.each([
    ['Time series', 'time_series'],
    ['Logs', 'logs'],
  ])('switches Format to %s and re-runs', async (label, format) => {
    const { last, onRunQuery } = setup({ refId: 'A', rawSql: 'SELECT 1', format: 'table' });
    await userEvent.click(screen.getByLabelText(label));
    expect(last()).toMatchObject({ format });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('edits the Time Column and Metrics column, running on blur', async () => {
    const { last, onRunQuery } = setup({ refId: 'A', rawSql: 'SELECT 1' });
    await userEvent.type(screen.getByLabelText('Time Column'), 'start_time');
    await userEvent.type(screen.getByLabelText('Metrics column'), 'target_ip');
    expect(last()).toMatchObject({ timeColumn: 'start_time', metricsColumn: 'target_ip' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('sets a per-query cache TTL, empty meaning the datasource default', async () => {
    const { last } = setup({ refId: 'A', rawSql: 'SELECT 1' });
    const ttl = screen.getByLabelText('Cache TTL');
    await userEvent.type(ttl, '60');
    expect(last()).toMatchObject({ cacheTtlSeconds: 60 });
    await userEvent.clear(ttl);
    expect(last().cacheTtlSeconds).toBeUndefined();
  });

  it('turns Get Queried Result off (on by default) and re-runs', async () => {
    const { last, onRunQuery } = setup({ refId: 'A', rawSql: 'SELECT 1' });
    const toggle = screen.getByLabelText('Get Queried Result');
    expect(toggle).toBeChecked();
    await userEvent.click(toggle);
    expect(last()).toMatchObject({ getResult: false });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('shows the macro reference served by the backend on "Show help"', async () => {
    setup({ refId: 'A', rawSql: '' });
    expect(screen.queryByTestId('macro-help')).not.toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('Show help'));
    const help = await screen.findByTestId('macro-help');
    await waitFor(() => expect(help).toHaveTextContent('$__timeFilter(column)'));
    expect(help).toHaveTextContent('TS_SEG_SUM(segments)');
    expect(help).toHaveTextContent('WHERE $__timeFilter(timestamp)');
  });

  it('still shows help, with a warning, when the macros endpoint fails', async () => {
    setup({ refId: 'A', rawSql: '' }, { backend: { failing: ['macros'] } });
    await userEvent.click(screen.getByLabelText('Show help'));
    const help = await screen.findByTestId('macro-help');
    await waitFor(() => expect(help).toHaveTextContent('macro reference unavailable: macros is broken in this test'));
    expect(help).toHaveTextContent('Run the query with Shift+Enter');
  });

  it('previews the expanded SQL for the current range', async () => {
    const { requests } = setup({ refId: 'A', rawSql: 'SELECT * FROM $__source WHERE $__timeFilter(start_time)' });
    await userEvent.click(screen.getByRole('button', { name: /Preview SQL/ }));
    const sql = await screen.findByTestId('preview-sql');
    expect(sql).toHaveTextContent("start_time BETWEEN '2026-01-01T00:00:00.000Z' AND '2026-01-02T00:00:00.000Z'");
    expect(requests.find((r) => r.url.endsWith('/expand'))?.data).toMatchObject({
      range: { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Close the preview' }));
    expect(screen.queryByTestId('sql-preview')).not.toBeInTheDocument();
  });

  it('shows the backend 400 text when the preview fails', async () => {
    setup({ refId: 'A', rawSql: 'SELECT $__unknown' });
    await userEvent.click(screen.getByRole('button', { name: /Preview SQL/ }));
    expect(await screen.findByText('unknown macro $__unknown at line 1')).toBeInTheDocument();
  });

  it('shows what the query will read for the current range, without running it', async () => {
    const { requests, onRunQuery } = setup({ refId: 'A', rawSql: 'SELECT * FROM FLOW_FLAT WHERE $__timeFilter(start_time)' });
    const estimate = await screen.findByTestId('query-estimate', {}, { timeout: 3000 });
    await waitFor(() => expect(estimate).toHaveAttribute('data-status', 'done'));
    expect(estimate).toHaveTextContent('This query will read 12 objects (3.4 MB) · 5 already cached');
    expect(estimate).toHaveTextContent('objects from 2026-01-01 00:00:00 to 2026-01-01 05:55:00 UTC');
    const asked = requests.filter((r) => r.url.endsWith('/estimate'));
    expect(asked).toHaveLength(1);
    expect(asked[0].data).toMatchObject({
      query: { rawSql: 'SELECT * FROM FLOW_FLAT WHERE $__timeFilter(start_time)' },
      range: { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() },
      fromAlert: false,
    });
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it("estimates an alert rule's query against the alert budget", async () => {
    const { requests } = setup({ refId: 'A', rawSql: 'SELECT count(*) FROM FLOW_FLAT' }, { app: CoreApp.UnifiedAlerting });
    await waitFor(() => expect(requests.find((r) => r.url.endsWith('/estimate'))?.data).toMatchObject({ fromAlert: true }), {
      timeout: 3000,
    });
  });

  it('says why there is no estimate', async () => {
    setup({ refId: 'A', rawSql: 'SELECT $__unknown' });
    const estimate = await screen.findByTestId('query-estimate', {}, { timeout: 3000 });
    await waitFor(() => expect(estimate).toHaveTextContent('No estimate: unknown macro $__unknown at line 1'));
  });

  it("shows the engine's plan on demand", async () => {
    const { requests } = setup({ refId: 'A', rawSql: 'SELECT * FROM FLOW_FLAT WHERE $__timeFilter(start_time)' });
    expect(requests.some((r) => r.url.endsWith('/plan'))).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: /Show plan/ }));
    expect(await screen.findByTestId('preview-plan')).toHaveTextContent('SEQ_SCAN FLOW_FLAT');
    expect(screen.getByTestId('plan-engine')).toHaveTextContent('duckdb');
    expect(requests.find((r) => r.url.endsWith('/plan'))?.data).toMatchObject({
      range: { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Close the plan' }));
    expect(screen.queryByTestId('plan-preview')).not.toBeInTheDocument();
  });

  it('shows why there is no plan', async () => {
    setup({ refId: 'A', rawSql: 'SELECT $__unknown' });
    await userEvent.click(screen.getByRole('button', { name: /Show plan/ }));
    const plan = await screen.findByTestId('plan-preview');
    await waitFor(() => expect(plan).toHaveTextContent('No plan for this query'));
    expect(plan).toHaveTextContent('unknown macro $__unknown at line 1');
  });

  it.each([
    [CoreApp.Explore, 'compact'],
    [CoreApp.UnifiedAlerting, 'compact'],
    [CoreApp.Dashboard, 'full'],
    [undefined, 'full'],
  ])('uses the %s layout: %s', async (app, layout) => {
    setup({ refId: 'A', rawSql: '' }, { app });
    expect(screen.getByTestId('query-editor')).toHaveAttribute('data-layout', layout);
    await settled();
  });

  describe('flow query builder', () => {
    const inbound = { measure: 'connections' as const, groupBy: ['target_ip' as const], filters: [{ column: 'direction' as const, operator: '=' as const, value: 'I' }] };

    it('opens a builder query in the builder and rewrites the SQL on each change', async () => {
      const { last } = setup(applyBuilder({ refId: 'A', cacheTtlSeconds: 30 }, inbound, 'table'));
      expect(screen.getByTestId('query-editor')).toHaveAttribute('data-mode', 'builder');
      expect(screen.queryByLabelText('SQL editor')).not.toBeInTheDocument();
      expect(screen.queryByLabelText('Time Column')).not.toBeInTheDocument();
      await userEvent.click(screen.getByLabelText('Bytes'));
      expect(last()).toMatchObject({ builder: { ...inbound, measure: 'bytes' }, editorMode: 'builder', cacheTtlSeconds: 30 });
      expect(last().rawSql).toContain('sum(bytes_from_initiator + bytes_from_target) AS bytes');
      await userEvent.type(screen.getByLabelText('Top N'), '5');
      expect(last().rawSql).toMatch(/ORDER BY bytes DESC\nLIMIT 5$/);
      await userEvent.type(screen.getByLabelText('Filter 1 value'), 'x');
      expect(last().rawSql).toContain("direction = 'Ix'");
      await userEvent.click(screen.getByLabelText('Remove filter 1'));
      expect(last().builder?.filters).toEqual([]);
      await userEvent.click(screen.getByLabelText('Time series'));
      expect(last()).toMatchObject({ format: 'time_series', timeColumn: 'time', metricsColumn: 'target_ip' });
      expect(screen.getByTestId('builder-sql')).toHaveTextContent('$__timeGroupAlias(start_time, $__interval)');
      await settled();
    });

    it('opens a hand-edited builder query in the code editor with a note', async () => {
      const saved = applyBuilder({ refId: 'A' }, inbound, 'table');
      setup({ ...saved, rawSql: `${saved.rawSql} AND 1 = 1` });
      expect(screen.getByTestId('query-editor')).toHaveAttribute('data-mode', 'code');
      expect(screen.getByTestId('hand-edited-note')).toHaveTextContent(HAND_EDITED_NOTE);
      await settled();
    });

    it('asks before the builder replaces hand-written SQL, and replaces it on confirm', async () => {
      const { last, changes } = setup({ refId: 'A', rawSql: 'SELECT 1' });
      await userEvent.click(screen.getByLabelText('Builder'));
      expect(changes).toHaveLength(0);
      await userEvent.click(await screen.findByRole('button', { name: 'Switch to builder' }));
      expect(last()).toMatchObject({ editorMode: 'builder', builder: { measure: 'connections', groupBy: [], filters: [] } });
      expect(last().rawSql).toMatch(/^SELECT count\(\*\) AS connections\nFROM FLOW_FLAT/);
      expect(screen.getByTestId('query-editor')).toHaveAttribute('data-mode', 'builder');
      await userEvent.click(screen.getByLabelText('Code'));
      expect(last().editorMode).toBe('code');
      expect(screen.getByLabelText('SQL editor')).toHaveValue(last().rawSql);
    });

    it('switches an empty query to the builder without asking', async () => {
      const { last } = setup({ refId: 'A', rawSql: '' });
      await userEvent.click(screen.getByLabelText('Builder'));
      expect(last().editorMode).toBe('builder');
      await settled();
    });
  });

  describe('Run, Stop and Format', () => {
    it('formats the SQL, keeping its macros', async () => {
      const { last } = setup({ refId: 'A', rawSql: 'select count(*) from FLOW_FLAT where $__timeFilterColumn(start_time, string)' });
      await userEvent.click(screen.getByRole('button', { name: /Format SQL/ }));
      expect(last().rawSql).toBe('SELECT\n  count(*)\nFROM\n  FLOW_FLAT\nWHERE\n  $__timeFilterColumn(start_time, string)');
      await settled();
    });

    it('runs on Run; Stop is off while nothing runs', async () => {
      const { onRunQuery } = setup({ refId: 'A', rawSql: 'SELECT 1' });
      await settled();
      expect(screen.getByRole('button', { name: /Stop/ })).toHaveAttribute('aria-disabled', 'true');
      await userEvent.click(screen.getByRole('button', { name: /Run query/ }));
      expect(onRunQuery).toHaveBeenCalledTimes(1);
    });

    it('previews with the ad-hoc filters of the panel request', async () => {
      const filters = [{ key: 'action', operator: '=', value: 'rejected' }];
      const data = { state: LoadingState.Done, series: [], request: { requestId: 'Q1', filters }, timeRange: RANGE } as unknown as PanelData;
      const { requests } = setup({ refId: 'A', rawSql: 'SELECT 1' }, { data });
      await userEvent.click(screen.getByRole('button', { name: /Preview SQL/ }));
      await screen.findByTestId('preview-sql');
      expect(requests.find((r) => r.url.endsWith('/expand'))?.data).toMatchObject({ query: { adhocFilters: filters } });
    });

    it('stops the running request of the panel', async () => {
      const data = { state: LoadingState.Loading, series: [], request: { requestId: 'Q42' }, timeRange: RANGE } as unknown as PanelData;
      const { datasource } = setup({ refId: 'A', rawSql: 'SELECT 1' }, { data });
      const stop = vi.spyOn(datasource, 'stop');
      await settled();
      expect(screen.getByRole('button', { name: /Run query/ })).toHaveAttribute('aria-disabled', 'true');
      await userEvent.click(screen.getByRole('button', { name: /Stop/ }));
      expect(stop).toHaveBeenCalledWith('Q42');
    });
  });
});

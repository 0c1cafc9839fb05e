import { concatMap, from, lastValueFrom, map, Observable, of, Subject } from 'rxjs';

import {
  AdHocVariableFilter,
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  getDefaultTimeRange,
  MetricFindValue,
  ScopedVars,
  TimeRange,
} from '@grafana/data';
import { BackendSrvRequest, DataSourceWithBackend, getBackendSrv, getTemplateSrv } from '@grafana/runtime';

import { annotationSupport } from './annotationSupport';
import { framesToTagValues, tagKeys, tagValuesSql, toAdhocFilters } from './query/adhoc';
import { hasLabelledFields, withDrillDownLinks } from './query/drillDown';
import { queryDisplayText } from './query/displayText';
import { migrateQuery } from './query/migrate';
import { stoppable } from './query/stoppable';
import { formatVariableValue } from './query/sqlLiterals';
import { EstimateResult, ExpandResult, MacroReference, PlanResult, SchemaInfo } from './resources';
import { CloudSqlOptions, CloudSqlQuery, DEFAULT_QUERY } from './types';
import { CloudSqlVariableSupport } from './variableSupport';

/** Editor helpers show their own error text, so Grafana's global error toast stays quiet. */
const INLINE_ERRORS: Partial<BackendSrvRequest> = { showErrorAlert: false };

export class DataSource extends DataSourceWithBackend<CloudSqlQuery, CloudSqlOptions> {
  /** requestIds the query editor's Stop button asked to stop. */
  private readonly stops = new Subject<string>();
  /** The flow-log columns, looked up once (the schema resource) for the drill-down links. */
  private flowColumnList?: Promise<string[]>;

  constructor(instanceSettings: DataSourceInstanceSettings<CloudSqlOptions>) {
    super(instanceSettings);
    this.variables = new CloudSqlVariableSupport(this);
    this.annotations = annotationSupport;
  }

  getDefaultQuery(): Partial<CloudSqlQuery> {
    return DEFAULT_QUERY;
  }

  /**
   * Runs the request on the backend like DataSourceWithBackend, and lets `stop(requestId)` end it:
   * dropping the subscription aborts the HTTP request, Grafana then cancels the plugin's gRPC call
   * and the backend stops its scan.
   */
  query(request: DataQueryRequest<CloudSqlQuery>): Observable<DataQueryResponse> {
    return stoppable(this.withDrillDown(super.query(request), request.filters), this.stops, request);
  }

  /**
   * Each series of an answer whose labels are flow-log columns gets a data link to its raw flows in
   * Explore (docs/drill-down.md). Made here, not in the backend, because panels and Explore both
   * receive answers through this method and only the frontend knows the datasource's uid and name
   * as Grafana's links need them; a dashboard's own links on the field stay first.
   */
  private withDrillDown(responses: Observable<DataQueryResponse>, filters?: AdHocVariableFilter[]): Observable<DataQueryResponse> {
    return responses.pipe(
      concatMap((response) =>
        hasLabelledFields(response.data)
          ? from(this.flowColumns()).pipe(
              map((columns) => ({
                ...response,
                data: withDrillDownLinks(response.data, { datasourceUid: this.uid, datasourceName: this.name, columns }, filters),
              }))
            )
          : of(response)
      )
    );
  }

  /** The flow-log columns; none (no links) while the schema cannot be read, asked again next time. */
  private flowColumns(): Promise<string[]> {
    this.flowColumnList ??= this.fetchSchema().then(tagKeys, () => {
      this.flowColumnList = undefined;
      return [];
    });
    return this.flowColumnList;
  }

  /** Stops the running request `requestId` (the Stop button of the query editor). */
  stop(requestId: string): void {
    this.stops.next(requestId);
  }

  getQueryDisplayText(query: CloudSqlQuery): string {
    return queryDisplayText(query);
  }

  filterQuery(query: CloudSqlQuery): boolean {
    return !query.hide && Boolean(migrateQuery(query).rawSql?.trim());
  }

  /** Variables filled in; the dashboard's ad-hoc filters go along for the backend to apply (never into the SQL text). */
  applyTemplateVariables(query: CloudSqlQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): CloudSqlQuery {
    const templateSrv = getTemplateSrv();
    const interpolate = (text: string | undefined) =>
      text === undefined ? undefined : templateSrv.replace(text, scopedVars, formatVariableValue);
    const current = migrateQuery(query);
    return {
      ...current,
      rawSql: interpolate(current.rawSql),
      timeColumn: interpolate(current.timeColumn),
      metricsColumn: interpolate(current.metricsColumn),
      adhocFilters: toAdhocFilters(filters),
    };
  }

  /** Ad-hoc filter keys: the flow-log columns. */
  async getTagKeys(_options?: DataSourceGetTagKeysOptions<CloudSqlQuery>): Promise<MetricFindValue[]> {
    return tagKeys(await this.fetchSchema()).map((text) => ({ text }));
  }

  /** A key's distinct values in the dashboard range (bounded), under the dashboard's other filters. */
  async getTagValues(options: DataSourceGetTagValuesOptions<CloudSqlQuery>): Promise<MetricFindValue[]> {
    if (!tagKeys(await this.fetchSchema()).includes(options.key)) {
      return [];
    }
    const request: DataQueryRequest<CloudSqlQuery> = {
      requestId: `adhoc-values-${options.key}`,
      app: CoreApp.Dashboard,
      timezone: 'utc',
      range: options.timeRange ?? getDefaultTimeRange(),
      interval: '1m',
      intervalMs: 60000,
      scopedVars: {},
      targets: [{ refId: 'tagValues', rawSql: tagValuesSql(options.key), format: 'table' }],
      filters: options.filters,
      startTime: Date.now(),
    };
    const response = await lastValueFrom(this.query(request));
    return framesToTagValues(response.data);
  }

  fetchMacroReference(): Promise<MacroReference> {
    return this.getResource<MacroReference>('macros', undefined, INLINE_ERRORS);
  }

  fetchSchema(): Promise<SchemaInfo> {
    return this.getResource<SchemaInfo>('schema', undefined, INLINE_ERRORS);
  }

  /** The SQL the backend would run for `query` over `range`, template variables and ad-hoc filters applied. */
  expandSql(query: CloudSqlQuery, range: TimeRange, intervalMs?: number, filters?: AdHocVariableFilter[]): Promise<ExpandResult> {
    return this.postResource<ExpandResult>('expand', this.resourceBody(query, range, intervalMs, filters), INLINE_ERRORS);
  }

  /** The engine's plan of `query` over `range` (EXPLAIN), without running it. */
  explainPlan(query: CloudSqlQuery, range: TimeRange, intervalMs?: number, filters?: AdHocVariableFilter[]): Promise<PlanResult> {
    return this.postResource<PlanResult>('plan', this.resourceBody(query, range, intervalMs, filters), INLINE_ERRORS);
  }

  /**
   * What `query` would read over `range`, from the bucket listing only. An Observable rather than a
   * promise: the editor re-estimates as the SQL changes, and unsubscribing from a stale estimate
   * aborts its HTTP request, so the backend does not keep listing for an answer nobody reads.
   * `fromAlert`: the query is an alert rule's, estimated against the alert budget.
   */
  estimate(
    query: CloudSqlQuery,
    range: TimeRange,
    intervalMs?: number,
    filters?: AdHocVariableFilter[],
    fromAlert = false
  ): Observable<EstimateResult> {
    return getBackendSrv()
      .fetch<EstimateResult>({
        ...INLINE_ERRORS,
        method: 'POST',
        headers: this.getRequestHeaders(),
        url: `/api/datasources/uid/${this.uid}/resources/estimate`,
        data: { ...this.resourceBody(query, range, intervalMs, filters), fromAlert },
      })
      .pipe(map((response) => response.data));
  }

  /** The body the `expand`, `estimate` and `plan` resources read: the query as it would be sent, and the range. */
  private resourceBody(query: CloudSqlQuery, range: TimeRange, intervalMs?: number, filters?: AdHocVariableFilter[]) {
    return {
      query: this.applyTemplateVariables(query, {}, filters),
      range: { from: range.from.valueOf(), to: range.to.valueOf() },
      intervalMs,
    };
  }
}

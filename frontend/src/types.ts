import { DataSourceJsonData } from '@grafana/data';
import type { DataSourceWithBackend } from '@grafana/runtime';
import { DataQuery } from '@grafana/schema';

import type { FlowBuilderState } from './builder/model';
import type { AdhocFilter } from './query/adhoc';
import type { ReferenceSource } from './resources';

/** Result shaping the backend applies (docs/architecture.md, "Query model"). */
export type QueryFormat = 'table' | 'time_series' | 'logs';

/** One query of a panel, exactly the keys the backend's query model reads. */
export interface CloudSqlQuery extends DataQuery {
  rawSql?: string;
  format?: QueryFormat;
  timeColumn?: string;
  metricsColumn?: string;
  /** false = run only as the input of a later query ($__source_prev), return nothing. */
  getResult?: boolean;
  /** Per-query override of the datasource's result-cache TTL. */
  cacheTtlSeconds?: number;
  /** Editor-only: the flow query builder wrote `rawSql` ('builder') or it is hand-written SQL. */
  editorMode?: 'builder' | 'code';
  /** Editor-only: the builder's choices behind `rawSql`; the backend never reads it. */
  builder?: FlowBuilderState;
  /** Set on the way out only (applyTemplateVariables): the dashboard's ad-hoc filters, applied by the backend. */
  adhocFilters?: AdhocFilter[];
}

/** Keys written by IBM's original plugin; read once and rewritten to the keys above. */
export interface LegacyQueryKeys {
  queryText?: string;
  time_column?: string;
  metrics_column?: string;
  get_result?: boolean;
}

export const DEFAULT_QUERY: Partial<CloudSqlQuery> = {
  rawSql: '',
  format: 'table',
  getResult: true,
};

export type Engine = 'duckdb' | 'spark' | 'dataengine';
export type AuthType = 'none' | 'iam' | 'hmac';
export type SourceFormat = 'flowlogs' | 'json' | 'parquet' | 'csv';
/** What a query does with a flow-log object that is not gzip JSON: leave it out with a warning, or fail. */
export type DamagedObjects = 'skip' | 'fail';
export type UnfilteredQueries = 'dashboardRange' | 'wholeSource';

/** Datasource settings visible to every viewer: never a secret in here. */
export interface CloudSqlOptions extends DataSourceJsonData {
  engine?: Engine;
  source?: string;
  sourceFormat?: SourceFormat;
  damagedObjects?: DamagedObjects;
  destination?: string;
  /** Where settled days of the flow logs are compacted into Parquet (the flow lake); inside source, destination or allowedLocations. */
  lakeLocation?: string;
  /** Further cos:// locations statements may read and write (FROM/INTO cos://…); set by provisioning. */
  allowedLocations?: string[];
  cosEndpoint?: string;
  authType?: AuthType;
  serviceInstanceId?: string;
  /** IAM token endpoint, for private or test IAM (default: IBM's public one). */
  iamEndpoint?: string;
  sparkUrl?: string;
  dataEngineInstanceCrn?: string;
  dataEngineApiUrl?: string;
  cacheTtlSeconds?: number;
  /** Result-cache alignment of live ranges, so refreshes share entries (default true). */
  cacheAlignRanges?: boolean;
  cacheSettleSeconds?: number;
  cacheAlignStepSeconds?: number;
  queryTimeoutSeconds?: number;
  rowLimit?: number;
  /** DuckDB's threads and memory limit (e.g. "2GB"). */
  threads?: number;
  memoryLimit?: string;
  /** A query without a time predicate: the dashboard range (default) or IBM's whole source. */
  unfilteredQueries?: UnfilteredQueries;
  /** The most objects one query may scan when it reaches an end of the source. */
  scanLimitObjects?: number;
  /** Budgets of what one query (and one alert query) may read after pruning; 0: no limit. */
  queryLimitObjects?: number;
  queryLimitMB?: number;
  alertLimitObjects?: number;
  alertLimitMB?: number;
  /** The most memory one query's answer may take in the plugin, in MB (default: 2 KiB per row of rowLimit). */
  queryMemoryLimitMB?: number;
  /** Absolute paths of the datasource's own enrichment CSV files (empty: the bundled data / no subnet names). */
  geoCountryFile?: string;
  asnFile?: string;
  subnetsFile?: string;
}

/** Write-only settings Grafana stores encrypted and hands only to the backend. */
export interface CloudSqlSecureOptions {
  apiKey?: string;
  hmacAccessKeyId?: string;
  hmacSecretAccessKey?: string;
  sparkToken?: string;
}

export type SecureKey = keyof CloudSqlSecureOptions;

/**
 * The datasource as the variable editor and variable support see it. Naming this shape here, instead of
 * the DataSource class, keeps datasource.ts → variableSupport.ts → VariableQueryEditor.tsx from looping back.
 */
export type CloudSqlDataSourceApi = DataSourceWithBackend<CloudSqlQuery, CloudSqlOptions> & ReferenceSource;

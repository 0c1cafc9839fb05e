import { EstimateResult, ExpandResult, MacroReference, PlanResult, SchemaInfo } from '../src/resources';

/** Canned answers in the shape of the backend's resource endpoints (docs/architecture.md). */
export const MACROS: MacroReference = {
  macros: [
    {
      name: '$__source',
      signature: '$__source',
      description: 'The datasource Source location, read with its format.',
      example: 'SELECT * FROM $__source',
    },
    {
      name: '$__timeFilter',
      signature: '$__timeFilter(column)',
      description: "Restricts column to the panel's time range.",
      example: 'WHERE $__timeFilter(timestamp)',
    },
    {
      name: '$__dest',
      signature: '$__dest[(format[, suffix])]',
      description: 'Where the result is written.',
      example: 'INTO $__dest(parquet, daily)',
    },
  ],
  functions: [
    {
      name: 'TS_SEG_SUM',
      signature: 'TS_SEG_SUM(segments)',
      description: 'Sum of each segment of a segmented time series.',
      example: 'TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, 60000, 60000)))',
    },
  ],
};

export const SCHEMA: SchemaInfo = {
  relations: [
    {
      name: 'FLOW_FLAT',
      columns: [
        { name: 'start_time', type: 'TIMESTAMP' },
        { name: 'initiator_ip', type: 'VARCHAR' },
        { name: 'target_ip', type: 'VARCHAR' },
        { name: 'bytes_from_initiator', type: 'BIGINT' },
      ],
    },
  ],
};

/**
 * A stand-in for `POST expand`: expands only $__timeFilter and $__source, enough for editors and
 * specs to see their query and time range come back; `$__unknown` yields the backend's 400 shape.
 */
export function expandStub(rawSql: string, range: { from: number; to: number }): ExpandResult {
  if (rawSql.includes('$__unknown')) {
    throw { status: 400, data: { error: 'unknown macro $__unknown at line 1' } };
  }
  const from = new Date(range.from).toISOString();
  const to = new Date(range.to).toISOString();
  const expandedSql = rawSql
    .replace(/\$__timeFilter\((\w+)\)/g, `$1 BETWEEN '${from}' AND '${to}'`)
    .replace(/\$__source/g, 'cos://us-south/flowlogs/ibm_vpc_flowlogs_v1/ STORED AS JSON');
  return { expandedSql, sql: `/* duckdb */ ${expandedSql}` };
}

/** What the stub's `POST estimate` answers for SQL without a `$__unknown` macro (for the editors and specs). */
export const ESTIMATE: EstimateResult = {
  objects: 12,
  bytes: 3_400_000,
  listedObjects: 48,
  partitionsPruned: 36,
  ingestCache: { objects: 5, bytes: 1_200_000 },
  resultCached: false,
  oldest: '2026-01-01T00:00:00Z',
  newest: '2026-01-01T05:55:00Z',
  budget: { kind: 'query', maxObjects: 1000, maxBytes: null, exceeded: false },
  exact: true,
  engine: 'duckdb',
  elapsedMs: 14,
  notes: [],
};

/** A stand-in for `POST estimate`: the canned estimate, or the backend's 400 shape as `expandStub` gives it. */
export function estimateStub(rawSql: string, range: { from: number; to: number }): EstimateResult {
  expandStub(rawSql, range);
  return ESTIMATE;
}

/** A stand-in for `POST plan`: a two-line plan naming the SQL's first relation. */
export function planStub(rawSql: string, range: { from: number; to: number }): PlanResult {
  expandStub(rawSql, range);
  const relation = /\bFROM\s+(\w+)/i.exec(rawSql)?.[1] ?? 'VALUES';
  return { engine: 'duckdb', plan: `PROJECTION\n  SEQ_SCAN ${relation}` };
}

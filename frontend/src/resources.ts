/** Shapes of the backend's resource endpoints (docs/architecture.md, "Resource endpoints"). */

export interface ReferenceEntry {
  name: string;
  signature: string;
  description: string;
  example: string;
}

/** `GET macros`: the one source of truth for the help panel and for completion. */
export interface MacroReference {
  macros: ReferenceEntry[];
  functions: ReferenceEntry[];
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** `GET schema` */
export interface SchemaInfo {
  relations: Array<{ name: string; columns: ColumnInfo[] }>;
}

/** The request body of `POST expand`, `estimate` and `plan`. */
export interface ExpandRequest {
  query: object;
  range: { from: number; to: number };
  intervalMs?: number;
}

/** `POST expand` answer: the SQL after macros (IBM dialect) and as sent to the engine. */
export interface ExpandResult {
  sql: string;
  expandedSql: string;
}

/** `POST estimate` answer: what the query would list and read for the range, from listings only. */
export interface EstimateResult {
  objects: number;
  bytes: number;
  listedObjects: number;
  partitionsPruned: number;
  /** The part of `objects`/`bytes` the ingest cache already holds. */
  ingestCache: { objects: number; bytes: number };
  resultCached: boolean;
  /** RFC 3339 times of the oldest and newest object read; null when nothing is read. */
  oldest: string | null;
  newest: string | null;
  budget: { kind: 'query' | 'alert'; maxObjects: number | null; maxBytes: number | null; exceeded: boolean };
  /** false when the figures are bounds (e.g. a listing cut short); `notes` say why. */
  exact: boolean;
  engine: string;
  elapsedMs: number;
  notes: string[];
}

/** `POST plan` answer: the engine's plan of the query, as the engine prints it. */
export interface PlanResult {
  engine: string;
  plan: string;
}

/** The two endpoints the editors' help and completion read; the datasource implements them. */
export interface ReferenceSource {
  fetchMacroReference(): Promise<MacroReference>;
  fetchSchema(): Promise<SchemaInfo>;
}

export const EMPTY_REFERENCE: MacroReference = { macros: [], functions: [] };

/** The text to show for a failed resource call: the backend's `{"error": ...}` when there is one. */
export function resourceErrorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { data, message, statusText } = error as { data?: unknown; message?: unknown; statusText?: unknown };
    if (typeof data === 'object' && data !== null) {
      const body = data as { error?: unknown; message?: unknown };
      if (typeof body.error === 'string' && body.error) {
        return body.error;
      }
      if (typeof body.message === 'string' && body.message) {
        return body.message;
      }
    }
    if (typeof message === 'string' && message) {
      return message;
    }
    if (typeof statusText === 'string' && statusText) {
      return statusText;
    }
  }
  return typeof error === 'string' && error ? error : 'the request failed';
}

/**
 * The flow query builder's saved state: what a network engineer picks instead of writing SQL.
 *
 * It is stored in the query (`builder`) next to the SQL it generated, so the builder can re-open
 * the query; the backend reads only the SQL and the keys it always read (docs/query-editor.md).
 */

/** What is counted per group: flows, traffic volume, or the share of rejected flows. */
export type Measure = 'connections' | 'bytes' | 'packets' | 'rejected_share';

/** FLOW_FLAT columns a flow query can group and filter by (plugin/cloudsql_cos_ts/flowlogs/schema.py). */
export type FlowColumn =
  | 'initiator_ip'
  | 'target_ip'
  | 'initiator_port'
  | 'target_port'
  | 'direction'
  | 'action'
  | 'transport_protocol'
  | 'network_interface_id';

export type FilterOperator = '=' | '!=';

export interface BuilderFilter {
  column: FlowColumn;
  operator: FilterOperator;
  /** Text as typed; a template variable such as `${target_ip}` is allowed and filled in by Grafana. */
  value: string;
}

export interface FlowBuilderState {
  measure: Measure;
  groupBy: FlowColumn[];
  filters: BuilderFilter[];
  /** Table: keep the N largest groups (0 or absent: all). */
  topN?: number;
  /** Time series bucket width such as 5m; empty means the panel's `$__interval`. */
  interval?: string;
}

interface ColumnInfo {
  label: string;
  /** Integer columns take numbers in filters; the others take quoted text. */
  numeric: boolean;
}

export const FLOW_COLUMNS: Record<FlowColumn, ColumnInfo> = {
  initiator_ip: { label: 'Initiator IP', numeric: false },
  target_ip: { label: 'Target IP', numeric: false },
  initiator_port: { label: 'Initiator port', numeric: true },
  target_port: { label: 'Target port', numeric: true },
  direction: { label: 'Direction', numeric: false },
  action: { label: 'Action', numeric: false },
  transport_protocol: { label: 'Protocol', numeric: true },
  network_interface_id: { label: 'vNIC', numeric: false },
};

export const MEASURES: Record<Measure, { label: string; expression: string }> = {
  connections: { label: 'Connections', expression: 'count(*)' },
  bytes: { label: 'Bytes', expression: 'sum(bytes_from_initiator + bytes_from_target)' },
  packets: { label: 'Packets', expression: 'sum(packets_from_initiator + packets_from_target)' },
  rejected_share: {
    label: 'Rejected share',
    expression: "avg(CASE WHEN action = 'rejected' THEN 1.0 ELSE 0.0 END)",
  },
};

export const DEFAULT_BUILDER: FlowBuilderState = { measure: 'connections', groupBy: [], filters: [] };

export function isFlowColumn(name: string): name is FlowColumn {
  return Object.prototype.hasOwnProperty.call(FLOW_COLUMNS, name);
}

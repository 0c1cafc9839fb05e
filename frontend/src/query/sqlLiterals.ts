/**
 * Formatting of template-variable values for IBM's Spark SQL dialect.
 *
 * The backend parses the SQL as Spark SQL, where a backslash escapes a quote inside a string
 * literal and two adjacent literals are concatenated ('a''b' is 'ab', not a'b), so quotes are
 * escaped with a backslash rather than doubled.
 */

export function quoteSqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Grafana's custom format callback for `templateSrv.replace`.
 *
 * A single value is inserted exactly as selected: users quote it themselves, e.g. `"${target_ip}"`,
 * as in the original plugin. Several values (a multi-value or "All" selection) become a
 * comma-separated list of quoted literals, ready for `IN (${hosts})`.
 */
export function formatVariableValue(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((item) => quoteSqlString(String(item))).join(',');
  }
  return value === undefined || value === null ? '' : String(value);
}

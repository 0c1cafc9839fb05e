/** Field help for the query editor, rewritten from the original plugin's tooltips to match our backend. */
export const QUERY_TOOLTIPS = {
  format:
    'Table returns the rows as they are. Time series turns them into one series per value column and per ' +
    'distinct value of the text columns, sorted by time.',
  timeColumn:
    'Time series only: the column holding the timestamps (timestamp, date, ISO text or epoch seconds/ms). ' +
    'Empty: the first timestamp-typed column, else the first column.',
  metricsColumn:
    'Time series only: the text column whose values name the series (e.g. src_ip). Empty: every text ' +
    'column becomes a series label.',
  cacheTtl:
    "Seconds to reuse this query's result for the same time range; empty uses the datasource's cache TTL, " +
    '0 always runs the query.',
  getResult:
    'Turn off when this query only prepares data for a later query ($__source_prev(refId)) and its rows ' +
    'should not be returned to the panel.',
  showHelp: 'Macros and time-series functions this datasource understands, with examples.',
  run: 'Runs the queries of the panel (also Shift+Enter or Ctrl/Cmd+Enter in the SQL editor).',
  stop: 'Stops the running query: the request is dropped and the backend cancels its scan.',
  formatSql:
    'Lays the SQL out one clause per line with upper-case keywords; macros, template variables, strings ' +
    'and comments are kept exactly as written.',
  mode: 'Builder: pick a measure, grouping and filters over the flow logs and let the editor write the SQL. Code: write SQL.',
  preview: 'Shows the SQL after macro expansion for the current time range, as the engine will receive it.',
  plan: "Shows the engine's plan for this SQL and time range (DuckDB's or Spark's EXPLAIN) without running the query.",
} as const;

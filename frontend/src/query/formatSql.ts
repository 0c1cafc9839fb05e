import { formatDialect, spark } from 'sql-formatter';

/**
 * Pieces of a query the formatter must hand back verbatim: the plugin's macros with their
 * arguments (one level of nested parentheses, as in `$__timeGroup(to_timestamp(t), 5m)`) and
 * Grafana's template variables. sql-formatter treats them as opaque parameters.
 */
const MACRO = String.raw`\$__\w+(?:\((?:[^()]|\([^()]*\))*\))?`;
const VARIABLE = String.raw`\$\{[^}]*\}|\[\[[^\]]*\]\]|\$\w+`;

/** Text whose characters a formatter may not touch: string literals, quoted names, comments, macros, variables. */
const VERBATIM = new RegExp(
  [
    String.raw`'(?:\\.|[^'\\])*'`,
    String.raw`"(?:\\.|[^"\\])*"`,
    '`(?:``|[^`])*`',
    String.raw`--[^\n]*`,
    String.raw`/\*[\s\S]*?\*/`,
    MACRO,
    VARIABLE,
  ].join('|'),
  'g'
);

function verbatimParts(sql: string): string[] {
  return (sql.match(VERBATIM) ?? []).map((part) => part.trimEnd());
}

function sameParts(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((part, index) => part === b[index]);
}

/**
 * Lays out `sql` one clause per line (Spark SQL rules, keywords upper case) with sql-formatter.
 * The result is used only if every string, quoted name, comment, macro and variable of the input
 * comes back unchanged and in order; otherwise, or when the formatter cannot parse the text, the
 * input is returned as it is, so formatting never changes what a query means.
 */
export function formatSql(sql: string): string {
  if (sql.trim() === '') {
    return sql;
  }
  let formatted: string;
  try {
    formatted = formatDialect(sql, {
      dialect: spark,
      keywordCase: 'upper',
      paramTypes: { custom: [{ regex: MACRO }, { regex: VARIABLE }] },
    });
  } catch {
    return sql;
  }
  return sameParts(verbatimParts(sql), verbatimParts(formatted)) ? formatted : sql;
}

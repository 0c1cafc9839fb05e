import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/**
 * A template service of our own for tests, the harness and `interpolate.mjs`.
 *
 * Grafana's TemplateSrv is part of Grafana's AGPL application code (not of the Apache-2.0 npm
 * packages), so it cannot be used here. This one follows its documented rules for single and
 * multi-value variables:
 * - the syntaxes `$name`, `${name}`, `${name:format}`, `[[name]]` and `[[name:format]]`;
 * - a format named in the expression wins over the format argument of `replace`; a function
 *   argument receives the value (a string, or an array for multi-value);
 * - scoped variables win over dashboard variables; unknown names (such as the backend's
 *   `$__timeFilter`) are left as written.
 * Grafana's built-in `$__from`/`$__to`/`$__dashboard`… macros and ad-hoc filters are not
 * reproduced: a caller passes `__interval` and friends as scoped variables, as Grafana's query
 * runner does.
 */

type VariableValue = string | string[];
type Formatter = (value: VariableValue, variable: unknown, formatValue: unknown) => string;

/** Grafana's variable syntax: `$name` | `[[name(:format)]]` | `${name(.fieldPath)(:format)}`. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

const quoteWith = (quote: string, escaped: string) => (value: string) => `${quote}${value.split(quote).join(escaped)}${quote}`;
const regexEscape = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
const percentEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Each named format as Grafana's format registry defines it: (value, text) → string. */
const FORMATS: Record<string, (value: VariableValue, text: string) => string> = {
  raw: (value) => String(value),
  glob: (value) => (Array.isArray(value) && value.length > 1 ? `{${value.join(',')}}` : String(value)),
  csv: (value) => (Array.isArray(value) ? value.join(',') : value),
  pipe: (value) => (Array.isArray(value) ? value.join('|') : value),
  json: (value) => JSON.stringify(value),
  text: (_value, text) => text,
  singlequote: (value) => [value].flat().map(quoteWith("'", "\\'")).join(','),
  doublequote: (value) => [value].flat().map(quoteWith('"', '\\"')).join(','),
  sqlstring: (value) => [value].flat().map(quoteWith("'", "''")).join(','),
  percentencode: (value) => percentEncode(Array.isArray(value) ? `{${value.join(',')}}` : value),
  regex: (value) => {
    const escaped = [value].flat().map(regexEscape);
    return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
  },
};

function formatValue(value: VariableValue, text: string, format: unknown): string {
  if (typeof format === 'function') {
    return (format as Formatter)(value, {}, formatValue);
  }
  const name = typeof format === 'string' && format !== '' ? format : 'glob';
  const formatter = FORMATS[name];
  if (!formatter) {
    throw new Error(`variable format "${name}" is not supported by the test template service`);
  }
  return formatter(value, text);
}

export function createFakeTemplateSrv(variables: Record<string, VariableValue>): TemplateSrv {
  const lookup = (name: string, scopedVars?: ScopedVars): { value: VariableValue; text: string } | undefined => {
    const scoped = scopedVars?.[name];
    if (scoped) {
      return { value: scoped.value as VariableValue, text: String(scoped.text ?? scoped.value) };
    }
    const value = variables[name];
    return value === undefined ? undefined : { value, text: Array.isArray(value) ? value.join(' + ') : value };
  };

  const replace = (target?: string, scopedVars?: ScopedVars, format?: unknown) => {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE, (match, bare?: string, bracketed?: string, bracketFormat?: string, braced?: string, fieldPath?: string, bracedFormat?: string) => {
      const name = (bare ?? bracketed ?? braced) as string;
      const variable = lookup(name, scopedVars);
      if (!variable) {
        return match;
      }
      if (fieldPath) {
        throw new Error(`\${${name}.${fieldPath}}: field paths are not supported by the test template service`);
      }
      return formatValue(variable.value, variable.text, bracketFormat ?? bracedFormat ?? format);
    });
  };

  return {
    replace,
    getVariables: () => [],
    containsTemplate: (target?: string) => Boolean(target && target.search(VARIABLE) >= 0),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}

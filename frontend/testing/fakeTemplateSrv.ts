import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

type Formatter = (value: unknown) => string;

/**
 * Does what Grafana's TemplateSrv does for `$name` and `${name}` with a custom format function:
 * passes the variable's current value (a string, or an array for multi-value) to the formatter.
 * Scoped variables win over dashboard variables, as in Grafana.
 */
export function createFakeTemplateSrv(variables: Record<string, string | string[]>): TemplateSrv {
  const replace = (target?: string, scopedVars?: ScopedVars, format?: unknown) => {
    if (!target) {
      return '';
    }
    return target.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
      const name = (braced ?? bare) as string;
      const value = scopedVars?.[name]?.value ?? variables[name];
      if (value === undefined) {
        return match;
      }
      return typeof format === 'function' ? (format as Formatter)(value) : String(value);
    });
  };
  return {
    replace,
    getVariables: () => [],
    containsTemplate: (target?: string) => Boolean(target && /\$\w/.test(target)),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}

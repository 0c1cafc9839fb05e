import { useCallback, useRef, useState } from 'react';

import { AdHocVariableFilter, TimeRange } from '@grafana/data';

import { resourceErrorMessage } from '../resources';
import { CloudSqlQuery } from '../types';

export type PreviewState<T> =
  | { status: 'closed' }
  | { status: 'loading' }
  | { status: 'done'; result: T }
  | { status: 'failed'; message: string };

/** A resource call about the query in the editor (`expand`, `plan`), made when the user asks for it. */
export type PreviewLoader<T> = (
  query: CloudSqlQuery,
  range: TimeRange,
  intervalMs?: number,
  filters?: AdHocVariableFilter[]
) => Promise<T>;

/** Calls `load` on demand (Preview SQL, Show plan); only the latest request's answer is shown. */
export function useResourcePreview<T>(load: PreviewLoader<T>) {
  const [state, setState] = useState<PreviewState<T>>({ status: 'closed' });
  const latest = useRef(0);

  const preview = useCallback(
    async (query: CloudSqlQuery, range: TimeRange, intervalMs?: number, filters?: AdHocVariableFilter[]) => {
      const request = ++latest.current;
      setState({ status: 'loading' });
      try {
        const result = await load(query, range, intervalMs, filters);
        if (request === latest.current) {
          setState({ status: 'done', result });
        }
      } catch (error) {
        if (request === latest.current) {
          setState({ status: 'failed', message: resourceErrorMessage(error) });
        }
      }
    },
    [load]
  );

  const close = useCallback(() => {
    latest.current++;
    setState({ status: 'closed' });
  }, []);

  return { state, preview, close };
}

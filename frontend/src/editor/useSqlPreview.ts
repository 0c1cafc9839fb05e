import { useCallback, useRef, useState } from 'react';

import { AdHocVariableFilter, TimeRange } from '@grafana/data';

import type { DataSource } from '../datasource';
import { ExpandResult, resourceErrorMessage } from '../resources';
import { CloudSqlQuery } from '../types';

export type PreviewState =
  | { status: 'closed' }
  | { status: 'loading' }
  | { status: 'done'; result: ExpandResult }
  | { status: 'failed'; message: string };

/** Calls the backend's `expand` resource; only the latest request's answer is shown. */
export function useSqlPreview(datasource: DataSource) {
  const [state, setState] = useState<PreviewState>({ status: 'closed' });
  const latest = useRef(0);

  const preview = useCallback(
    async (query: CloudSqlQuery, range: TimeRange, intervalMs?: number, filters?: AdHocVariableFilter[]) => {
      const request = ++latest.current;
      setState({ status: 'loading' });
      try {
        const result = await datasource.expandSql(query, range, intervalMs, filters);
        if (request === latest.current) {
          setState({ status: 'done', result });
        }
      } catch (error) {
        if (request === latest.current) {
          setState({ status: 'failed', message: resourceErrorMessage(error) });
        }
      }
    },
    [datasource]
  );

  const close = useCallback(() => {
    latest.current++;
    setState({ status: 'closed' });
  }, []);

  return { state, preview, close };
}

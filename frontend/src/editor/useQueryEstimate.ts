import { useEffect, useMemo, useState } from 'react';
import { catchError, concat, debounceTime, distinctUntilChanged, map, Observable, of, Subject, switchMap } from 'rxjs';

import { AdHocVariableFilter, TimeRange } from '@grafana/data';

import { EstimateResult, resourceErrorMessage } from '../resources';
import { CloudSqlQuery } from '../types';

/** Typing pauses shorter than this do not ask the backend: only the SQL the user stopped at is estimated. */
export const ESTIMATE_DEBOUNCE_MS = 600;

export type EstimateState =
  | { status: 'idle' }
  | { status: 'loading'; previous?: EstimateResult }
  | { status: 'done'; result: EstimateResult }
  | { status: 'failed'; message: string };

export interface EstimateInput {
  query: CloudSqlQuery;
  range: TimeRange;
  intervalMs?: number;
  filters?: AdHocVariableFilter[];
  /** The alert-rule editor: the estimate is checked against the alert budget. */
  fromAlert?: boolean;
}

export type Estimator = (input: EstimateInput) => Observable<EstimateResult>;

/** Two inputs ask the same question when the query's keys and the range's instants are equal. */
function inputKey({ query, range, intervalMs, filters, fromAlert }: EstimateInput): string {
  return JSON.stringify([query, range.from.valueOf(), range.to.valueOf(), intervalMs, filters, fromAlert]);
}

/**
 * The estimate as a stream of states: inputs are debounced, repeats dropped, and switchMap
 * unsubscribes from the estimate in flight when a newer input arrives (which aborts its request), so
 * an old answer never overwrites a newer one. Empty SQL is not estimated.
 */
export function estimateStates(inputs: Observable<EstimateInput>, estimator: Estimator): Observable<EstimateState> {
  let last: EstimateResult | undefined;
  return inputs.pipe(
    debounceTime(ESTIMATE_DEBOUNCE_MS),
    distinctUntilChanged((a, b) => inputKey(a) === inputKey(b)),
    switchMap((input): Observable<EstimateState> => {
      if (!(input.query.rawSql ?? '').trim()) {
        last = undefined;
        return of({ status: 'idle' });
      }
      return concat(
        of<EstimateState>({ status: 'loading', previous: last }),
        estimator(input).pipe(
          map((result): EstimateState => {
            last = result;
            return { status: 'done', result };
          }),
          catchError((error: unknown) => {
            last = undefined;
            return of<EstimateState>({ status: 'failed', message: resourceErrorMessage(error) });
          })
        )
      );
    })
  );
}

/** The editor's estimate of `input`, refreshed as it changes (see estimateStates). */
export function useQueryEstimate(estimator: Estimator, input: EstimateInput): EstimateState {
  const [state, setState] = useState<EstimateState>({ status: 'idle' });
  const inputs = useMemo(() => new Subject<EstimateInput>(), []);

  useEffect(() => {
    const subscription = estimateStates(inputs, estimator).subscribe(setState);
    return () => subscription.unsubscribe();
  }, [inputs, estimator]);

  const key = inputKey(input);
  useEffect(() => {
    inputs.next(input);
    // `key` stands for `input`: a new object with the same content is the same question.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [inputs, key]);

  return state;
}

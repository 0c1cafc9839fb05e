import { filter, map, Observable, race, take } from 'rxjs';

import { DataQueryRequest, DataQueryResponse, LoadingState } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

export const STOPPED_MESSAGE = 'Query stopped: the backend was told to cancel it.';

/**
 * `responses` until a stop for `request.requestId` arrives on `stops`; then a final Done answer
 * saying the query was stopped. `race` unsubscribes from `responses` at that moment, which is what
 * cancels the HTTP request and so the backend's work.
 */
export function stoppable<Q extends DataQuery>(
  responses: Observable<DataQueryResponse>,
  stops: Observable<string>,
  request: DataQueryRequest<Q>
): Observable<DataQueryResponse> {
  const stopped = stops.pipe(
    filter((requestId) => requestId === request.requestId),
    take(1),
    map(
      (): DataQueryResponse => ({
        data: [],
        state: LoadingState.Done,
        errors: request.targets.map((target) => ({ refId: target.refId, message: STOPPED_MESSAGE })),
      })
    )
  );
  return race(responses, stopped);
}

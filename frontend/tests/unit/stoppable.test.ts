import { lastValueFrom, Observable, of, Subject, toArray } from 'rxjs';

import { DataQueryRequest, DataQueryResponse, LoadingState } from '@grafana/data';

import { STOPPED_MESSAGE, stoppable } from '../../src/query/stoppable';
import { CloudSqlQuery } from '../../src/types';

const request = { requestId: 'R1', targets: [{ refId: 'A' }, { refId: 'B' }] } as DataQueryRequest<CloudSqlQuery>;

describe('stoppable', () => {
  it('passes the answer through when nobody stops it', async () => {
    const answer: DataQueryResponse = { data: [{ name: 'x' }], state: LoadingState.Done };
    expect(await lastValueFrom(stoppable(of(answer), new Subject<string>(), request))).toBe(answer);
  });

  it('ends a running request on its own stop, unsubscribing from the backend call', async () => {
    const stops = new Subject<string>();
    let unsubscribed = false;
    const backend = new Observable<DataQueryResponse>(() => () => {
      unsubscribed = true;
    });
    const answers = lastValueFrom(stoppable(backend, stops, request).pipe(toArray()));
    stops.next('another request');
    expect(unsubscribed).toBe(false);
    stops.next('R1');
    expect(await answers).toEqual([
      {
        data: [],
        state: LoadingState.Done,
        errors: [
          { refId: 'A', message: STOPPED_MESSAGE },
          { refId: 'B', message: STOPPED_MESSAGE },
        ],
      },
    ]);
    expect(unsubscribed).toBe(true);
  });

  it('ignores a stop after the answer came', async () => {
    const stops = new Subject<string>();
    const answers = lastValueFrom(stoppable(of({ data: [] }), stops, request).pipe(toArray()));
    stops.next('R1');
    expect(await answers).toEqual([{ data: [] }]);
  });
});

import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { dateTime, TimeRange } from '@grafana/data';

import { ESTIMATE_DEBOUNCE_MS as D, EstimateInput, estimateStates, EstimateState } from '../../src/editor/useQueryEstimate';
import { EstimateResult } from '../../src/resources';
import { ESTIMATE } from '../../testing/fixtures';

const RANGE: TimeRange = { from: dateTime(0), to: dateTime(3600000), raw: { from: 'now-1h', to: 'now' } };
const input = (rawSql: string, range = RANGE): EstimateInput => ({ query: { refId: 'A', rawSql }, range });
const LOADING: EstimateState = { status: 'loading', previous: undefined };
const DONE: EstimateState = { status: 'done', result: ESTIMATE };

/**
 * Runs `estimateStates` on virtual time: `inputs` are [ms, input] pairs, the estimator answers
 * `latency` ms after it is asked (or fails with `error`). Resolves the states as [ms, state] pairs,
 * the SQL of every estimate asked, and the SQL of those dropped before they answered.
 */
function run(inputs: Array<[number, EstimateInput]>, options: { latency?: number; error?: unknown; result?: (sql: string) => EstimateResult } = {}) {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const states: Array<[number, EstimateState]> = [];
  const asked: string[] = [];
  const dropped: string[] = [];
  scheduler.run(({ flush }) => {
    const source = new Observable<EstimateInput>((subscriber) => {
      for (const [at, next] of inputs) {
        scheduler.schedule(() => subscriber.next(next), at);
      }
    });
    const estimator = (next: EstimateInput) =>
      new Observable<EstimateResult>((subscriber) => {
        const sql = next.query.rawSql ?? '';
        asked.push(sql);
        let answered = false;
        const timer = scheduler.schedule(() => {
          answered = true;
          if (options.error) {
            subscriber.error(options.error);
          } else {
            subscriber.next(options.result?.(sql) ?? ESTIMATE);
            subscriber.complete();
          }
        }, options.latency ?? 10);
        return () => {
          if (!answered) {
            dropped.push(sql);
          }
          timer.unsubscribe();
        };
      });
    estimateStates(source, estimator).subscribe((state) => states.push([scheduler.now(), state]));
    flush();
  });
  return { states, asked, dropped };
}

describe('estimateStates', () => {
  it('estimates only the SQL typing stopped at, after the debounce', () => {
    const { states, asked } = run([
      [0, input('S')],
      [100, input('SE')],
      [200, input('SEL')],
    ]);
    expect(asked).toEqual(['SEL']);
    expect(states).toEqual([
      [200 + D, LOADING],
      [200 + D + 10, DONE],
    ]);
  });

  it('drops the estimate in flight when the range changes, aborting its request', () => {
    const later = { ...RANGE, to: dateTime(7200000) };
    const { states, asked, dropped } = run(
      [
        [0, input('SELECT 1')],
        [D + 100, input('SELECT 1', later)],
      ],
      { latency: 1000 }
    );
    expect(asked).toEqual(['SELECT 1', 'SELECT 1']);
    expect(dropped).toEqual(['SELECT 1']);
    expect(states).toEqual([
      [D, LOADING],
      [2 * D + 100, LOADING],
      [2 * D + 1100, DONE],
    ]);
  });

  it('asks once for the same question, keeps the last answer while the next loads, is idle for empty SQL', () => {
    const result = (sql: string) => ({ ...ESTIMATE, objects: sql.length });
    const { states, asked } = run(
      [
        [0, input('SELECT 1')],
        [2 * D, input('SELECT 1')],
        [4 * D, input('SELECT 12')],
        [6 * D, input('  ')],
      ],
      { result }
    );
    expect(asked).toEqual(['SELECT 1', 'SELECT 12']);
    expect(states).toEqual([
      [D, LOADING],
      [D + 10, { status: 'done', result: result('SELECT 1') }],
      [5 * D, { status: 'loading', previous: result('SELECT 1') }],
      [5 * D + 10, { status: 'done', result: result('SELECT 12') }],
      [7 * D, { status: 'idle' }],
    ]);
  });

  it("shows the backend's error text", () => {
    const { states } = run([[0, input('SELECT $__nope')]], { error: { status: 400, data: { error: 'unknown macro $__nope' } } });
    expect(states).toEqual([
      [D, LOADING],
      [D + 10, { status: 'failed', message: 'unknown macro $__nope' }],
    ]);
  });
});

import { estimateText, formatBytes } from '../../src/query/estimateText';
import { EstimateResult } from '../../src/resources';
import { ESTIMATE } from '../../testing/fixtures';

const estimate = (changes: Partial<EstimateResult>): EstimateResult => ({ ...ESTIMATE, ...changes });

describe('estimateText', () => {
  it.each([
    ['objects, bytes and the ingest-cache share', estimate({}), 'This query will read 12 objects (3.4 MB) · 5 already cached'],
    ['one object, nothing cached', estimate({ objects: 1, bytes: 950, ingestCache: { objects: 0, bytes: 0 } }), 'This query will read 1 object (950 B)'],
    ['a cached result', estimate({ resultCached: true }), 'This query will read 12 objects (3.4 MB) · 5 already cached · result cached'],
    ['nothing to read', estimate({ objects: 0, bytes: 0, ingestCache: { objects: 0, bytes: 0 }, oldest: null, newest: null }), 'This query will read no objects'],
    ['thousands', estimate({ objects: 12345, bytes: 2_500_000_000, ingestCache: { objects: 0, bytes: 0 } }), 'This query will read 12,345 objects (2.5 GB)'],
    ['a bound, not an exact figure', estimate({ exact: false, notes: ['the listing stopped at 10,000 objects'] }), 'This query will read about 12 objects (3.4 MB) · 5 already cached'],
  ])('%s', (_name, input, summary) => {
    expect(estimateText(input).summary).toBe(summary);
  });

  it('gives the span of the objects read, in UTC', () => {
    expect(estimateText(ESTIMATE).span).toBe('objects from 2026-01-01 00:00:00 to 2026-01-01 05:55:00 UTC');
    expect(estimateText(estimate({ oldest: null, newest: null })).span).toBeUndefined();
  });

  it.each([
    ['within the budget', estimate({}), undefined],
    [
      'over a query budget of objects',
      estimate({ budget: { kind: 'query', maxObjects: 10, maxBytes: null, exceeded: true } }),
      'Over the query budget of 10 objects: the query will be refused.',
    ],
    [
      'over an alert budget of objects or bytes',
      estimate({ budget: { kind: 'alert', maxObjects: 1, maxBytes: 2_000_000, exceeded: true } }),
      'Over the alert budget of 1 object or 2.0 MB: the query will be refused.',
    ],
  ])('budget: %s', (_name, input, budget) => {
    expect(estimateText(input).budget).toBe(budget);
  });

  it("passes the backend's notes on", () => {
    const notes = ['the listing stopped at 10,000 objects'];
    expect(estimateText(estimate({ exact: false, notes })).notes).toEqual(notes);
    expect(estimateText(estimate({})).notes).toEqual([]);
  });

  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [3_400_000, '3.4 MB'],
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

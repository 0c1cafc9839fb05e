import { dateTimeFormat, formattedValueToString, getValueFormat } from '@grafana/data';

import type { EstimateResult } from '../resources';

/** The estimate line under the editor, in words: what is read, what is cached, the budget. */
export interface EstimateText {
  /** "This query will read 12 objects (3.4 MB) · 5 already cached · result cached" */
  summary: string;
  /** The capture times the objects read span, when anything is read. */
  span?: string;
  /** Set when the query is over its budget: the backend will refuse it (its note says how to narrow it). */
  budget?: string;
  /** The backend's remarks: why the figures are not exact, why the query would be refused, alert reads. */
  notes: string[];
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** Decimal units (MB = 10^6 bytes), as object stores bill and list sizes; whole bytes below a kB. */
export function formatBytes(bytes: number): string {
  return formattedValueToString(getValueFormat('decbytes')(bytes, bytes < 1000 ? 0 : 1));
}

function formatTime(rfc3339: string): string {
  return dateTimeFormat(rfc3339, { timeZone: 'utc', format: 'YYYY-MM-DD HH:mm:ss' });
}

function budgetLimits(budget: EstimateResult['budget']): string {
  const limits = [
    budget.maxObjects === null ? undefined : count(budget.maxObjects, 'object'),
    budget.maxBytes === null ? undefined : formatBytes(budget.maxBytes),
  ].filter((limit): limit is string => limit !== undefined);
  return limits.length > 0 ? ` of ${limits.join(' or ')}` : '';
}

export function estimateText(estimate: EstimateResult): EstimateText {
  const read = estimate.objects === 0 ? 'no objects' : `${count(estimate.objects, 'object')} (${formatBytes(estimate.bytes)})`;
  const parts = [`This query will read ${estimate.exact ? '' : 'about '}${read}`];
  if (estimate.ingestCache.objects > 0) {
    parts.push(`${estimate.ingestCache.objects.toLocaleString('en-US')} already cached`);
  }
  if (estimate.resultCached) {
    parts.push('result cached');
  }
  const { oldest, newest, budget } = estimate;
  return {
    summary: parts.join(' · '),
    span: oldest && newest ? `objects from ${formatTime(oldest)} to ${formatTime(newest)} UTC` : undefined,
    budget: budget.exceeded
      ? `Over the ${budget.kind === 'alert' ? 'alert' : 'query'} budget${budgetLimits(budget)}: the query will be refused.`
      : undefined,
    notes: estimate.notes,
  };
}

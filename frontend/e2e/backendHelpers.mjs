// Helpers of the real-backend specs: the page on the host's datasource, running a query, reading
// its frame, and the expected answer computed straight from the sample flow logs.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { DATASOURCE_UID, FLOWLOGS_RANGE } from './host.mjs';

export const PAGE = `backend.html?uid=${DATASOURCE_UID}`;
export const RESOURCES = `/api/datasources/uid/${DATASOURCE_UID}/resources`;
// The first page load also starts the plugin's instance for this datasource (DuckDB, settings).
export const LOAD_TIMEOUT_MS = 30000;

/**
 * The query editor on the real backend; `query` is the saved query it opens (default: a new one),
 * `adhoc` the dashboard's ad-hoc filters its runs carry, `uid` the datasource (default: the DuckDB one).
 */
export async function openQueryView(page, baseUrl, { query, adhoc, uid, waitFor = '.monaco-editor textarea' } = {}) {
  const params = [query && `&query=${encodeURIComponent(JSON.stringify(query))}`, adhoc && `&adhoc=${encodeURIComponent(JSON.stringify(adhoc))}`];
  const pagePath = uid ? `backend.html?uid=${uid}` : PAGE;
  await page.goto(`${baseUrl}/${pagePath}&view=query${params.filter(Boolean).join('')}`);
  await page.locator(waitFor).first().waitFor({ state: 'attached', timeout: LOAD_TIMEOUT_MS });
}

/** Every file under `dir`, recursively. */
async function listFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * The expected answer computed straight from the sample objects (gzip JSON, IBM's layout), not by
 * the plugin: records kept by `keep` whose start_time lies in the range (both ends in), counted per
 * `groupBy(record)`, as [key, count] text pairs sorted by key.
 */
export async function countFlows(flowlogsDir, keep, groupBy) {
  const from = Date.parse(FLOWLOGS_RANGE.start);
  const to = Date.parse(FLOWLOGS_RANGE.end);
  const counts = new Map();
  for (const file of await listFiles(flowlogsDir)) {
    const object = JSON.parse(gunzipSync(await readFile(file)).toString('utf8'));
    for (const record of object.flow_logs ?? []) {
      const start = Date.parse(record.start_time);
      if (keep(record) && start >= from && start <= to) {
        counts.set(groupBy(record), (counts.get(groupBy(record)) ?? 0) + 1);
      }
    }
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => [key, String(count)]);
}

/** Runs the query with `trigger` (default: Shift+Enter in the editor); the /api/ds/query request and answer. */
export async function runQuery(page, trigger) {
  const answer = page.waitForResponse((response) => response.url().includes('/api/ds/query'), { timeout: LOAD_TIMEOUT_MS });
  if (trigger) {
    await trigger();
  } else {
    await page.locator('.monaco-editor').first().click();
    await page.keyboard.press('Shift+Enter');
  }
  const response = await answer;
  return { sent: response.request().postDataJSON(), response };
}

/** The rows of the first frame the page shows, as text cells; and its column names. */
export async function readFrame(page) {
  const frame = page.getByTestId('result-frame').first();
  await frame.waitFor({ timeout: LOAD_TIMEOUT_MS });
  const columns = await frame.locator('th').allTextContents();
  const rows = await frame.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  return { columns, rows };
}

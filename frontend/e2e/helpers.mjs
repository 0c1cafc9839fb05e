// Small helpers shared by the browser specs.
import assert from 'node:assert/strict';

export { assert };

/** The editor state the harness dumps into <pre data-testid="state">. */
export async function readState(page) {
  return JSON.parse(await page.getByTestId('state').textContent());
}

/** Polls the harness state until `check` passes (it throws while it does not), up to `timeoutMs`. */
export async function waitForState(page, check, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await readState(page);
    try {
      check(state);
      return state;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await page.waitForTimeout(100);
    }
  }
}

/**
 * Grafana's Switch hides its checkbox; users click the label drawn right after it (the field's
 * own label points at the checkbox too, in @grafana/ui 13).
 */
export async function toggleSwitch(page, ariaLabel) {
  const id = await page.getByLabel(ariaLabel, { exact: true }).getAttribute('id');
  await page.locator(`[id="${id}"] + label`).click();
}

/**
 * Opens the harness on the query editor and waits for Monaco. `entry` picks the page: '' for the
 * editors from the sources, 'systemjs.html' for the built dist/module.js.
 */
export async function openQueryEditor(page, baseUrl, { app, entry = '' } = {}) {
  await page.goto(`${baseUrl}/${entry}?view=query${app ? `&app=${app}` : ''}`);
  await page.locator('.monaco-editor textarea').waitFor({ state: 'attached', timeout: 15000 });
}

/** Replaces the SQL in Monaco by typing, like a user (Ctrl+A, then type). */
export async function typeSql(page, text) {
  await page.locator('.monaco-editor').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
}

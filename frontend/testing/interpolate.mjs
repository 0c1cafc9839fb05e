// Template-variable interpolation by the plugin's own frontend code, for the backend's dashboard tests.
//
//   node frontend/testing/interpolate.mjs < {"targets":[...], "variables":{"target_ip":"10.0.0.5"}, "scopedVars":{...}}
//   → {"targets":[...]} on stdout; exit 1 with a message on stderr on failure.
//
// src/datasource.ts (its applyTemplateVariables, migrateQuery and value formatting) is bundled on the
// fly with esbuild, together with the real @grafana/runtime and @grafana/data, and run under node with
// a jsdom window (@grafana/data touches `window` while it loads). The template service behind
// getTemplateSrv() is ours (testing/fakeTemplateSrv.ts): Grafana's own is AGPL application code.
import { build } from 'esbuild';
import { JSDOM } from 'jsdom';
import { Buffer } from 'node:buffer';
import { Console } from 'node:console';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const testingDir = path.dirname(fileURLToPath(import.meta.url));

/** Checks the request's shape; returns it or throws a message naming what is wrong. */
function parseRequest(text) {
  let request;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new Error(`stdin is not JSON: ${error.message}`, { cause: error });
  }
  const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(request) || !Array.isArray(request.targets) || !request.targets.every(isObject)) {
    throw new Error('expected {"targets": [<query objects>], "variables": {...}}');
  }
  const variables = request.variables ?? {};
  const isValue = (value) => typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
  if (!isObject(variables) || !Object.values(variables).every(isValue)) {
    throw new Error('"variables" must map names to a string or a list of strings');
  }
  const scopedVars = request.scopedVars ?? {};
  if (!isObject(scopedVars) || !Object.values(scopedVars).every((v) => isObject(v) && 'value' in v)) {
    throw new Error('"scopedVars" must map names to {"value": ..., "text": ...}');
  }
  return { targets: request.targets, variables, scopedVars };
}

/** Bundles testing/interpolateTargets.ts for node into a temporary folder and imports it. */
async function loadInterpolateTargets() {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'cloudsql-interpolate-'));
  try {
    const outfile = path.join(outDir, 'interpolateTargets.mjs');
    await build({
      entryPoints: [path.join(testingDir, 'interpolateTargets.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"' },
      // @grafana/ui's stylesheets and assets mean nothing to applyTemplateVariables.
      loader: { '.css': 'empty', '.svg': 'empty', '.png': 'empty', '.ttf': 'empty', '.woff': 'empty', '.woff2': 'empty' },
    });
    return (await import(pathToFileURL(outfile).href)).interpolateTargets;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The browser globals @grafana/data and @grafana/runtime read while they load. */
function installWindow() {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://127.0.0.1/' });
  // Grafana's index page sets this before plugin code runs; @grafana/runtime's config reads it.
  window.grafanaBootData = { assets: { dark: '', light: '' }, settings: { featureToggles: {} }, user: {}, navTree: [] };
  for (const name of ['window', 'document', 'navigator', 'localStorage', 'sessionStorage']) {
    Object.defineProperty(globalThis, name, { value: name === 'window' ? window : window[name], configurable: true, writable: true });
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const { targets, variables, scopedVars } = parseRequest(Buffer.concat(chunks).toString('utf8'));
  // stdout carries only the answer: whatever the bundled packages log goes to stderr.
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  installWindow();
  const interpolateTargets = await loadInterpolateTargets();
  process.stdout.write(`${JSON.stringify({ targets: interpolateTargets(targets, variables, scopedVars) })}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`interpolate: ${error.message}\n`);
  process.exitCode = 1;
}

// Browser tests: the real editors (harness) in Debian's chromium, driven by playwright-core.
// Every spec gets a fresh page, saves a screenshot and fails on console errors.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { buildHarness, harnessOutDir } from '../harness/build.mjs';
import { startStaticServer } from '../harness/server.mjs';
import configSpecs from './specs/configEditor.mjs';
import builtModuleSpecs from './specs/builtModule.mjs';
import querySpecs from './specs/queryEditor.mjs';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outputDir = path.join(frontendDir, '.test-output');
const screenshotDir = path.join(outputDir, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SPEC_TIMEOUT_MS = 60000;

// Cosmetic only: Grafana's fonts, and the spinner icon that Grafana's own build adds to the icon set
// shipped in @grafana/ui. Anything else logged as an error fails the spec.
const IGNORED_RESOURCE_ERRORS = [/\/public\/fonts\//, /\/public\/build\/img\/icons\/unicons\/spinner\.svg$/];

function isIgnored(message) {
  const url = message.location()?.url ?? '';
  return message.text().startsWith('Failed to load resource') && IGNORED_RESOURCE_ERRORS.some((re) => re.test(url));
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runSpec(context, spec, baseUrl) {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !isIgnored(message)) {
      consoleErrors.push(`console: ${message.text()} ${message.location()?.url ?? ''}`);
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  const started = Date.now();
  let failure;
  try {
    await withTimeout(spec.run(page, { baseUrl, screenshotDir }), SPEC_TIMEOUT_MS, spec.name);
    if (consoleErrors.length > 0) {
      failure = new Error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
    }
  } catch (error) {
    failure = consoleErrors.length > 0 ? new Error(`${error.message}\nconsole errors:\n  ${consoleErrors.join('\n  ')}`) : error;
  }
  await page.screenshot({ path: path.join(screenshotDir, `${spec.name}.png`), fullPage: true }).catch(() => {});
  await page.close();
  return { name: spec.name, ms: Date.now() - started, failure };
}

async function main() {
  await rm(screenshotDir, { recursive: true, force: true });
  await mkdir(screenshotDir, { recursive: true });
  await buildHarness();
  const server = await startStaticServer(harnessOutDir, {
    '/public/build/img/icons/': path.join(frontendDir, 'node_modules/@grafana/ui/dist/public/img/icons'),
    '/dist/': path.join(frontendDir, '..', 'dist'),
  });
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'cloudsql-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const results = [];
  try {
    for (const spec of [...querySpecs, ...configSpecs, ...builtModuleSpecs]) {
      const result = await runSpec(context, spec, server.url);
      results.push(result);
      console.log(`${result.failure ? 'FAIL' : 'ok  '} ${result.name} (${result.ms} ms)`);
      if (result.failure) {
        console.log(`     ${String(result.failure.stack ?? result.failure).split('\n').join('\n     ')}`);
      }
    }
  } finally {
    await context.close();
    await server.close();
    await rm(profileDir, { recursive: true, force: true });
  }
  const failed = results.filter((result) => result.failure).length;
  const summary = { passed: results.length - failed, failed, screenshots: screenshotDir };
  await writeFile(path.join(outputDir, 'browser-results.json'), JSON.stringify(summary, null, 2));
  console.log(`browser: ${summary.passed} passed, ${summary.failed} failed; screenshots in ${screenshotDir}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();

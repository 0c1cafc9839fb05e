// Browser tests: the real editors (harness) in Debian's chromium, driven by playwright-core.
// Every spec gets a fresh page, saves a screenshot and fails on console errors. The real-backend
// specs run against the Grafana-less host serving the plugin built in dist/ (e2e/host.mjs).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { buildHarness, REACT_VARIANTS } from '../harness/build.mjs';
import { startStaticServer } from '../harness/server.mjs';
import { pluginDir, startHost } from './host.mjs';
import configSpecs from './specs/configEditor.mjs';
import builtModuleSpecs from './specs/builtModule.mjs';
import querySpecs from './specs/queryEditor.mjs';
import realBackendEditorSpecs from './specs/realBackendEditors.mjs';
import realBackendKnowBeforeSpecs from './specs/realBackendKnowBefore.mjs';
import realBackendQuerySpecs from './specs/realBackend.mjs';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(frontendDir, '..');
const outputDir = path.join(frontendDir, '.test-output');
const screenshotDir = path.join(outputDir, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SPEC_TIMEOUT_MS = 60000;
// `node e2e/run.mjs [part of a spec name ...]` runs only the specs named (all by default), once per
// React major in REACT_MAJORS (default "18 19": React 18 with Grafana 12.4's packages, React 19 with 13.2's).
const only = process.argv.slice(2);
const reactMajors = (process.env.REACT_MAJORS ?? '18 19').split(/[\s,]+/).filter(Boolean);
const realBackendSpecs = [...realBackendQuerySpecs, ...realBackendEditorSpecs, ...realBackendKnowBeforeSpecs];
const specs = [...querySpecs, ...configSpecs, ...builtModuleSpecs, ...realBackendSpecs].filter(
  (spec) => only.length === 0 || only.some((part) => spec.name.includes(part))
);
const needsHost = specs.some((spec) => realBackendSpecs.includes(spec));
// A Spark Connect server (a JVM) only when a spec chosen to run asks for it.
const needsSpark = specs.some((spec) => spec.spark);

// Cosmetic only: Grafana's fonts, and the spinner icon that Grafana's own build adds to the icon set
// shipped in @grafana/ui. Anything else logged as an error fails the spec.
const IGNORED_RESOURCE_ERRORS = [/\/public\/fonts\//, /\/public\/build\/img\/icons\/unicons\/spinner\.svg$/];

// A spec may expect some requests to fail (a 400 it provokes): `expectedResourceErrors`, URL patterns.
function isIgnored(message, spec) {
  const url = message.location()?.url ?? '';
  const expected = [...IGNORED_RESOURCE_ERRORS, ...(spec.expectedResourceErrors ?? [])];
  return message.text().startsWith('Failed to load resource') && expected.some((re) => re.test(url));
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runSpec(context, spec, { baseUrl, host, screenshotDir, label }) {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !isIgnored(message, spec)) {
      consoleErrors.push(`console: ${message.text()} ${message.location()?.url ?? ''}`);
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  const started = Date.now();
  let failure;
  try {
    await withTimeout(spec.run(page, { baseUrl, screenshotDir, host }), spec.timeoutMs ?? SPEC_TIMEOUT_MS, spec.name);
    if (consoleErrors.length > 0) {
      failure = new Error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
    }
  } catch (error) {
    failure = consoleErrors.length > 0 ? new Error(`${error.message}\nconsole errors:\n  ${consoleErrors.join('\n  ')}`) : error;
  }
  await page.screenshot({ path: path.join(screenshotDir, `${spec.name}.png`), fullPage: true }).catch(() => {});
  await page.close();
  return { name: `${spec.name}${label}`, ms: Date.now() - started, failure };
}

/**
 * Runs every spec in one browser on the pages built for `reactMajor`; the real-backend ones only
 * when the host started. React 18 screenshots go to screenshots/, React 19 ones to screenshots/react19/.
 */
async function runSpecs({ host, error: hostError }, reactMajor) {
  const variant = REACT_VARIANTS[reactMajor];
  const label = reactMajor === '18' ? '' : ` [React ${reactMajor}]`;
  const shots = reactMajor === '18' ? screenshotDir : path.join(screenshotDir, `react${reactMajor}`);
  await mkdir(shots, { recursive: true });
  const server = await startStaticServer(
    variant.outDir,
    {
      '/public/build/img/icons/': path.join(variant.modules, '@grafana/ui/dist/public/img/icons'),
      '/dist/': pluginDir(repoRoot),
    },
    host ? { '/api/': host.url } : {}
  );
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'cloudsql-chromium-'));
  const results = [];
  try {
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
    try {
      for (const spec of specs) {
        const result =
          realBackendSpecs.includes(spec) && !host
            ? { name: `${spec.name}${label}`, ms: 0, failure: new Error(`the Grafana-less host did not start: ${hostError.message}`) }
            : await runSpec(context, spec, { baseUrl: server.url, host, screenshotDir: shots, label });
        results.push(result);
        console.log(`${result.failure ? 'FAIL' : 'ok  '} ${result.name} (${result.ms} ms)`);
        if (result.failure) {
          console.log(`     ${String(result.failure.stack ?? result.failure).split('\n').join('\n     ')}`);
        }
      }
    } finally {
      await context.close();
    }
  } finally {
    await server.close();
    await rm(profileDir, { recursive: true, force: true });
  }
  return results;
}

async function main() {
  await rm(screenshotDir, { recursive: true, force: true });
  await mkdir(screenshotDir, { recursive: true });
  // The host starts (plugin handshake, sample data) while esbuild bundles the pages.
  const hostStart = needsHost
    ? startHost({ repoRoot, logFile: path.join(outputDir, 'host.log'), spark: needsSpark }).then(
        (host) => ({ host }),
        (error) => ({ error })
      )
    : Promise.resolve({});
  const stopHost = () => hostStart.then(({ host }) => host?.stop());
  // Killed from outside (CI timeout, Ctrl+C): the host and its plugin go too.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => stopHost().finally(() => process.exit(130)));
  }
  const results = [];
  try {
    for (const reactMajor of reactMajors) {
      if (!REACT_VARIANTS[reactMajor]) {
        throw new Error(`REACT_MAJORS: no harness for React ${reactMajor} (have ${Object.keys(REACT_VARIANTS).join(', ')})`);
      }
      await buildHarness(REACT_VARIANTS[reactMajor]);
      results.push(...(await runSpecs(await hostStart, reactMajor)));
    }
  } finally {
    await stopHost();
  }
  const failed = results.filter((result) => result.failure).length;
  const summary = { passed: results.length - failed, failed, screenshots: screenshotDir };
  await writeFile(path.join(outputDir, 'browser-results.json'), JSON.stringify(summary, null, 2));
  console.log(`browser: ${summary.passed} passed, ${summary.failed} failed; screenshots in ${screenshotDir}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();

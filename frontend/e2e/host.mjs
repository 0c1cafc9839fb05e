// The real backend for the browser specs: sample flow logs, a provisioning folder naming them, and
// the Grafana-less host (tests/host) running the plugin built in dist/, all on loopback.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const DATASOURCE_UID = 'e2e-flowlogs';
/** The harness pages' fixed time range (harness/app.tsx); the sample flow logs cover it. */
export const FLOWLOGS_RANGE = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T06:00:00Z' };

const HOST_START_TIMEOUT_MS = 120000;
const HOST_STOP_TIMEOUT_MS = 10000;

/** Runs a command to completion; resolves with its stdout, rejects with its stderr's tail. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${stderr.slice(-2000)}`))
    );
  });
}

function provisioningYaml(flowlogsDir) {
  return `apiVersion: 1
datasources:
  - name: Flow logs (browser tests)
    uid: ${DATASOURCE_UID}
    type: ibm-cloudsqlcos-datasource
    access: proxy
    jsonData:
      engine: duckdb
      source: ${JSON.stringify(flowlogsDir)}
      sourceFormat: flowlogs
      authType: none
`;
}

/** Resolves with the URL of the host's first stdout line; rejects if it exits or stays silent. */
function waitForListening(child) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host printed no address within ${HOST_START_TIMEOUT_MS} ms`)), HOST_START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line).listening);
      } catch {
        reject(new Error(`host: unexpected first line ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${code}) before listening; see its log`));
    });
  });
}

/** SIGTERM (the host then stops the plugin), SIGKILL if it is still there after a while. */
function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), HOST_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The plugin folder the specs load: dist/, or `E2E_PLUGIN_DIR` (a folder laid out like dist/, e.g. a
 * module.js built elsewhere next to a launcher of the source tree, to try a change before dist/ is rebuilt).
 */
export function pluginDir(repoRoot) {
  return process.env.E2E_PLUGIN_DIR || path.join(repoRoot, 'dist');
}

/**
 * Builds the host when needed (scripts/host_build.sh), writes sample flow logs with the repository's
 * CLI and starts `grafana-less-host serve` on the plugin folder (`pluginDir`). Resolves with
 * `{ url, flowlogsDir, stop }`; `stop` ends the host and removes the temporary folder. The host's
 * stderr goes to `logFile`.
 */
export async function startHost({ repoRoot, logFile }) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'cloudsql-e2e-host-'));
  let child;
  const stop = async () => {
    if (child) {
      await stopProcess(child);
    }
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const hostBinary = (await run('bash', [path.join(repoRoot, 'scripts', 'host_build.sh')])).trim().split('\n').at(-1);
    const flowlogsDir = path.join(workDir, 'flowlogs');
    await run(path.join(repoRoot, '.venv', 'bin', 'cloudsql-cos-ts'), [
      'generate-flowlogs', flowlogsDir, '--vnics', '2', '--start', FLOWLOGS_RANGE.start, '--end', FLOWLOGS_RANGE.end,
      '--records-per-object', '20', '--seed', '7', '--no-progress',
    ]);
    const provisioningDir = path.join(workDir, 'provisioning');
    await mkdir(path.join(provisioningDir, 'datasources'), { recursive: true });
    await writeFile(path.join(provisioningDir, 'datasources', 'flowlogs.yaml'), provisioningYaml(flowlogsDir));

    child = spawn(
      hostBinary,
      ['serve', '-plugin-dir', pluginDir(repoRoot), '-provisioning', provisioningDir, '-listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    child.stderr.pipe(createWriteStream(logFile));
    const url = await waitForListening(child);
    return { url, flowlogsDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// The real backend for the browser specs: sample flow logs, a provisioning folder naming them, and
// the Grafana-less host (tests/host) running the plugin built in dist/, all on loopback.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const DATASOURCE_UID = 'e2e-flowlogs';
/** The same flow logs on the Spark engine, provisioned when a spec needs Spark (`startHost({ spark: true })`). */
export const SPARK_DATASOURCE_UID = 'e2e-flowlogs-spark';
/** The harness pages' fixed time range (harness/app.tsx); the sample flow logs cover it. */
export const FLOWLOGS_RANGE = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T06:00:00Z' };

const HOST_START_TIMEOUT_MS = 120000;
const HOST_STOP_TIMEOUT_MS = 10000;
const SPARK_WARM_PLANS = 4;

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

function datasourceYaml(name, uid, engine, flowlogsDir, sparkUrl) {
  return `  - name: ${name}
    uid: ${uid}
    type: ibm-cloudsqlcos-datasource
    access: proxy
    jsonData:
      engine: ${engine}
      source: ${JSON.stringify(flowlogsDir)}
      sourceFormat: flowlogs
      authType: none
${sparkUrl ? `      sparkUrl: ${JSON.stringify(sparkUrl)}\n` : ''}`;
}

function provisioningYaml(flowlogsDir, sparkUrl) {
  const spark = sparkUrl ? datasourceYaml('Flow logs on Spark (browser tests)', SPARK_DATASOURCE_UID, 'spark', flowlogsDir, sparkUrl) : '';
  return `apiVersion: 1
datasources:
${datasourceYaml('Flow logs (browser tests)', DATASOURCE_UID, 'duckdb', flowlogsDir)}${spark}`;
}

/**
 * The Spark Connect server of the Spark specs: `CLOUDSQL_SPARK_URL` when set (a server already running,
 * as for the Python tests), else one started by scripts/spark_connect.sh with its state in `stateDir`.
 * Resolves with `{ url, stop }`.
 */
async function startSpark(repoRoot, stateDir) {
  if (process.env.CLOUDSQL_SPARK_URL) {
    return { url: process.env.CLOUDSQL_SPARK_URL, stop: async () => {} };
  }
  const script = path.join(repoRoot, 'scripts', 'spark_connect.sh');
  const url = (await run('bash', [script, 'start', stateDir])).trim().split('\n').at(-1);
  return { url, stop: () => run('bash', [script, 'stop', stateDir]).catch(() => {}) };
}

/**
 * Save & test, then plans, on the Spark datasource until one plan answers: the first ones load the Spark
 * client, open the Spark Connect session and warm a fresh JVM, which on a busy machine takes longer than
 * a plan's own deadline (30 s). The specs then measure the editor, not the JVM's start.
 */
async function warmSpark(url) {
  const resources = `${url}/api/datasources/uid/${SPARK_DATASOURCE_UID}`;
  await fetch(`${resources}/health`);
  const body = JSON.stringify({
    query: { refId: 'A', rawSql: 'SELECT count(*) AS flows FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)' },
    range: { from: Date.parse(FLOWLOGS_RANGE.start), to: Date.parse(FLOWLOGS_RANGE.end) },
  });
  for (let attempt = 0; attempt < SPARK_WARM_PLANS; attempt++) {
    const answer = await fetch(`${resources}/resources/plan`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (answer.ok) {
      return;
    }
  }
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
 * CLI and starts `grafana-less-host serve` on the plugin folder (`pluginDir`); with `spark`, also a Spark
 * Connect server and a second datasource on it (`SPARK_DATASOURCE_UID`). Resolves with
 * `{ url, flowlogsDir, stop }`; `stop` ends the host and removes the temporary folder. The host's
 * stderr goes to `logFile`.
 */
export async function startHost({ repoRoot, logFile, spark = false }) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'cloudsql-e2e-host-'));
  let child;
  let sparkServer;
  const stop = async () => {
    if (child) {
      await stopProcess(child);
    }
    await sparkServer?.stop();
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
    // The packaged plugin carries no Spark client: the bundle built beside dist/ (scripts/build_backend.sh) is
    // given to it as Grafana's [plugin.<id>] spark_client setting would.
    sparkServer = spark ? await startSpark(repoRoot, path.join(workDir, 'spark')) : undefined;
    await writeFile(path.join(provisioningDir, 'datasources', 'flowlogs.yaml'), provisioningYaml(flowlogsDir, sparkServer?.url));
    const sparkClient = spark ? ['-env', `GF_PLUGIN_SPARK_CLIENT=${path.join(repoRoot, 'build', 'spark-client')}`] : [];

    child = spawn(
      hostBinary,
      ['serve', '-plugin-dir', pluginDir(repoRoot), '-provisioning', provisioningDir, '-listen', '127.0.0.1:0', ...sparkClient],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    child.stderr.pipe(createWriteStream(logFile));
    const url = await waitForListening(child);
    if (sparkServer) {
      await warmSpark(url);
    }
    return { url, flowlogsDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { CloudSqlQuery } from '../../src/types';

const frontendDir = path.resolve(__dirname, '..', '..');
const script = path.join(frontendDir, 'testing', 'interpolate.mjs');
const dashboard = JSON.parse(readFileSync(path.join(frontendDir, '..', 'content', 'dashboards', 'vpc-flow-logs.json'), 'utf8'));

/** Runs `node testing/interpolate.mjs` with `input` on stdin. */
function interpolate(input: string) {
  const run = spawnSync(process.execPath, [script], { input, encoding: 'utf8', timeout: 60000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// Each run bundles src/datasource.ts with esbuild first (2-4 s on a busy machine).
describe('testing/interpolate.mjs (the datasource code under node)', { timeout: 60000 }, () => {
  it('interpolates the bundled dashboard: variables filled, macros and everything else kept', () => {
    const stored: CloudSqlQuery[] = [
      ...dashboard.panels.flatMap((panel: { targets?: CloudSqlQuery[] }) => panel.targets ?? []),
      ...dashboard.templating.list.map((variable: { query: CloudSqlQuery }) => variable.query),
    ];
    const legacy = { refId: 'L', queryText: 'SELECT * FROM FLOW_FLAT WHERE target_ip IN ($hosts)', time_column: 'tt' };
    const run = interpolate(
      JSON.stringify({ targets: [...stored, legacy], variables: { target_ip: '10.0.0.5', hosts: ['10.0.0.1', "o'x"] } })
    );

    expect(run.stderr).not.toMatch(/interpolate:/);
    expect(run.status).toBe(0);
    const { targets } = JSON.parse(run.stdout) as { targets: Array<CloudSqlQuery & Record<string, unknown>> };
    expect(targets).toHaveLength(stored.length + 1);
    stored.forEach((target, index) => {
      expect(targets[index]).toEqual({ ...target, rawSql: target.rawSql!.split('${target_ip}').join('10.0.0.5') });
    });
    expect(stored.filter((target) => target.rawSql!.includes('${target_ip}'))).toHaveLength(3);
    expect(targets.at(-1)).toEqual({ refId: 'L', rawSql: "SELECT * FROM FLOW_FLAT WHERE target_ip IN ('10.0.0.1','o\\'x')", timeColumn: 'tt' });
  });

  it.each([
    ['not JSON', 'nope', /stdin is not JSON/],
    ['no target list', '{"targets": 3}', /expected \{"targets"/],
    ['a variable that is not text', '{"targets": [], "variables": {"a": 1}}', /"variables" must map names/],
    ['an unsupported format', '{"targets": [{"refId": "A", "rawSql": "${a:lucene}"}], "variables": {"a": "x"}}', /format "lucene"/],
  ])('exits 1 with a message for %s', (_name, input, message) => {
    const run = interpolate(input);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});

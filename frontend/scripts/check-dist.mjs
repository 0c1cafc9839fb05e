// Checks the build output Grafana loads: an AMD module.js asking only for modules Grafana
// provides, plugin.json as the root copy with version and date filled in, and the documents as their
// sources. The catalog rules on the whole folder and the zip are in tests/release/.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.dirname(frontendDir);
const dist = path.join(repoRoot, 'dist');
const grafanaProvided = createRequire(import.meta.url)('../grafanaExternals.js');
const { withRepositoryUrl } = createRequire(import.meta.url)('../repositoryUrl.js');

const checks = [];
function check(name, verify) {
  try {
    verify();
    checks.push({ name });
  } catch (error) {
    checks.push({ name, failure: error.message });
  }
}
function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}
const read = (file) => readFileSync(file, 'utf8');

check('module.js is an AMD module listing its dependencies', () => {
  const source = read(path.join(dist, 'module.js'));
  const header = /^define\((\[[^\]]*\])\s*,/.exec(source);
  expect(header, `module.js does not start with define([...], ...): ${source.slice(0, 60)}`);
  const dependencies = JSON.parse(header[1]);
  const foreign = dependencies.filter((name) => !grafanaProvided.includes(name));
  expect(foreign.length === 0, `module.js requires modules Grafana does not provide: ${foreign.join(', ')}`);
  expect(dependencies.includes('react') && dependencies.includes('@grafana/data'), `unexpected dependencies ${dependencies}`);
});

check('module.js evaluates to { plugin } with its config and query editors', () => {
  // Grafana's loader calls the AMD factory with its shared modules and reads `plugin` from the result.
  // Stand-ins: a recording DataSourcePlugin, and a placeholder class for anything else the factory
  // touches at load time (e.g. base classes it extends).
  class Placeholder {}
  class DataSourcePlugin {
    constructor(DataSourceClass) {
      this.DataSourceClass = DataSourceClass;
      this.components = {};
    }
    setConfigEditor(editor) {
      this.components.ConfigEditor = editor;
      return this;
    }
    setQueryEditor(editor) {
      this.components.QueryEditor = editor;
      return this;
    }
  }
  const sharedModule = (members) =>
    new Proxy(members, {
      get: (target, key) => (key in target ? target[key] : typeof key === 'string' && key !== '__esModule' ? Placeholder : undefined),
    });
  let exported;
  const define = (dependencies, factory) => {
    exported = factory(...dependencies.map((name) => sharedModule(name === '@grafana/data' ? { DataSourcePlugin } : {})));
  };
  vm.runInNewContext(read(path.join(dist, 'module.js')), { define });
  const { plugin } = exported ?? {};
  expect(plugin instanceof DataSourcePlugin, 'module.js does not export a DataSourcePlugin named plugin');
  expect(typeof plugin.DataSourceClass === 'function', 'plugin has no DataSource class');
  expect(typeof plugin.components.ConfigEditor === 'function', 'plugin has no config editor');
  expect(typeof plugin.components.QueryEditor === 'function', 'plugin has no query editor');
});

check('module.js has a source map and no JSX runtime import', () => {
  expect(existsSync(path.join(dist, 'module.js.map')), 'dist/module.js.map is missing');
  expect(!read(path.join(dist, 'module.js')).includes('react/jsx-runtime'), 'module.js refers to react/jsx-runtime');
});

check('plugin.json in dist is the root plugin.json with version and date filled in', () => {
  const shipped = read(path.join(dist, 'plugin.json'));
  const { version, updated } = JSON.parse(shipped).info;
  expect(/^\d+\.\d+\.\d+/.test(version), `info.version is not a version: ${version}`);
  expect(/^\d{4}-\d{2}-\d{2}$/.test(updated), `info.updated is not a date: ${updated}`);
  const root = read(path.join(repoRoot, 'plugin.json')).replace('%VERSION%', version).replace('%TODAY%', updated);
  expect(
    shipped === withRepositoryUrl(root),
    'dist/plugin.json differs from the root plugin.json beyond version, date and repository URL'
  );
});

check('the logo named in plugin.json is in dist', () => {
  const { logos } = JSON.parse(read(path.join(repoRoot, 'plugin.json'))).info;
  for (const logo of new Set([logos.small, logos.large])) {
    expect(read(path.join(dist, logo)).includes('<svg'), `dist/${logo} is not an SVG`);
  }
});

check('README.md (the plugin page one from src/), CHANGELOG.md and LICENSE in dist match their sources', () => {
  const sources = {
    'README.md': path.join(frontendDir, 'src', 'README.md'),
    'CHANGELOG.md': path.join(repoRoot, 'CHANGELOG.md'),
    LICENSE: path.join(repoRoot, 'LICENSE'),
  };
  for (const [name, source] of Object.entries(sources)) {
    const expected = name === 'LICENSE' ? read(source) : withRepositoryUrl(read(source));
    expect(read(path.join(dist, name)) === expected, `dist/${name} differs from ${path.relative(repoRoot, source)}`);
  }
});

const failed = checks.filter((c) => c.failure);
for (const c of checks) {
  console.log(`${c.failure ? 'FAIL' : 'ok  '} ${c.name}${c.failure ? `\n     ${c.failure}` : ''}`);
}
const outputDir = path.join(frontendDir, '.test-output');
mkdirSync(outputDir, { recursive: true });
writeFileSync(
  path.join(outputDir, 'dist-results.json'),
  JSON.stringify({ passed: checks.length - failed.length, failed: failed.length }, null, 2)
);
console.log(`dist: ${checks.length - failed.length} passed, ${failed.length} failed`);
process.exitCode = failed.length > 0 ? 1 : 0;

// Bundles the harness pages (real editors on the stubbed or the real backend) into .test-output/harness/ with esbuild.
import { build } from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const harnessOutDir = path.join(frontendDir, '.test-output', 'harness');

function pageHtml(links, script) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>cloudsql-cos-ts editors</title>
    <link rel="icon" href="data:,">
    ${links}
  </head>
  <body>
    <div id="root"></div>
    <!-- Grafana's index page sets this before any plugin code runs; @grafana/runtime's config reads it. -->
    <script>
      window.grafanaBootData = { assets: { dark: '', light: '' }, settings: { featureToggles: {} }, user: {}, navTree: [] };
    </script>
    <script type="module" src="${script}"></script>
  </body>
</html>
`;
}

// Each page is its own bundle: one shared chunk set for both changed the order in which
// @grafana/* modules initialise and broke them.
const PAGES = [
  { html: 'index.html', entry: 'main.tsx', folder: 'source' }, // the editors from the sources
  { html: 'systemjs.html', entry: 'systemjs.tsx', folder: 'built' }, // dist/module.js via SystemJS
  { html: 'backend.html', entry: 'backend.tsx', folder: 'backend' }, // the same on the real backend
];

async function buildPage({ html, entry, folder }) {
  const outdir = path.join(harnessOutDir, folder);
  await build({
    entryPoints: [path.join(frontendDir, 'harness', entry)],
    outdir,
    bundle: true,
    format: 'esm',
    splitting: true,
    jsx: 'transform',
    sourcemap: true,
    logLevel: 'warning',
    // systemjs declares "type": "script" in its package.json, which esbuild warns about; harmless here.
    logOverride: { 'package.json': 'silent' },
    define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  });
  // esbuild does not inject the CSS of lazily loaded chunks (Monaco's): link every stylesheet.
  const styles = (await readdir(outdir)).filter((name) => name.endsWith('.css'));
  const links = styles.map((name) => `<link rel="stylesheet" href="/${folder}/${name}">`).join('\n    ');
  const script = `/${folder}/${path.basename(entry, '.tsx')}.js`;
  await writeFile(path.join(harnessOutDir, html), pageHtml(links, script));
}

export async function buildHarness() {
  await rm(harnessOutDir, { recursive: true, force: true });
  await mkdir(harnessOutDir, { recursive: true });
  for (const page of PAGES) {
    await buildPage(page);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildHarness();
  console.log(`harness built in ${harnessOutDir}`);
}

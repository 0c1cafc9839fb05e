// Bundles the harness pages (real editors on the stubbed or the real backend) into .test-output/harness/ with esbuild.
import { build } from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const SWAPPED = /^(@grafana\/(data|runtime|schema|ui)|react|react-dom|rxjs)(\/|$)/;

/**
 * An esbuild plugin resolving the @grafana/* packages, React and rxjs from `dir` (a compat/grafana-<major>
 * folder) instead of the main node_modules, wherever they are imported from; resolved as if imported
 * there, so package `exports` (e.g. @grafana/data/unstable) and browser builds still apply.
 */
function resolveFrom(dir) {
  return {
    name: 'compat-packages',
    setup(build) {
      build.onResolve({ filter: SWAPPED }, async (args) => {
        if (args.pluginData === 'compat') {
          return undefined;
        }
        const { path: resolved, external, sideEffects, errors } = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: dir,
          pluginData: 'compat',
        });
        return { path: resolved, external, sideEffects, errors };
      });
    },
  };
}

function compatVariant(major, outName) {
  const dir = path.join(frontendDir, 'compat', `grafana-${major}`);
  return { outDir: path.join(frontendDir, '.test-output', outName), modules: path.join(dir, 'node_modules'), plugins: [resolveFrom(dir)] };
}

/**
 * The React majors the browser specs run on, each with the @grafana/* packages of a Grafana that
 * ships it: React 18 with the main packages (12.4), React 19 with Grafana 13.2's. On the SystemJS
 * pages these are the modules handed to dist/module.js, as Grafana 13.2 hands it React 19.
 */
export const REACT_VARIANTS = {
  18: { outDir: path.join(frontendDir, '.test-output', 'harness'), modules: path.join(frontendDir, 'node_modules'), plugins: [] },
  19: compatVariant('13', 'harness-react19'),
};

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

async function buildPage({ html, entry, folder }, variant) {
  const outdir = path.join(variant.outDir, folder);
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
    plugins: variant.plugins,
  });
  // esbuild does not inject the CSS of lazily loaded chunks (Monaco's): link every stylesheet.
  const styles = (await readdir(outdir)).filter((name) => name.endsWith('.css'));
  const links = styles.map((name) => `<link rel="stylesheet" href="/${folder}/${name}">`).join('\n    ');
  const script = `/${folder}/${path.basename(entry, '.tsx')}.js`;
  await writeFile(path.join(variant.outDir, html), pageHtml(links, script));
}

/** Bundles every page for one entry of REACT_VARIANTS into its outDir. */
export async function buildHarness(variant = REACT_VARIANTS[18]) {
  await rm(variant.outDir, { recursive: true, force: true });
  await mkdir(variant.outDir, { recursive: true });
  for (const page of PAGES) {
    await buildPage(page, variant);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const variant of Object.values(REACT_VARIANTS)) {
    await buildHarness(variant);
    console.log(`harness built in ${variant.outDir}`);
  }
}

// Bundles harness/main.tsx (real editors + stubbed backend) into .test-output/harness/ with esbuild.
import { build } from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const harnessOutDir = path.join(frontendDir, '.test-output', 'harness');

export async function buildHarness() {
  await rm(harnessOutDir, { recursive: true, force: true });
  await mkdir(harnessOutDir, { recursive: true });
  await build({
    entryPoints: [path.join(frontendDir, 'harness', 'main.tsx')],
    outdir: harnessOutDir,
    bundle: true,
    format: 'esm',
    splitting: true,
    jsx: 'transform',
    sourcemap: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  });
  // esbuild does not inject the CSS of lazily loaded chunks (Monaco's): link every stylesheet.
  const styles = (await readdir(harnessOutDir)).filter((name) => name.endsWith('.css'));
  const links = styles.map((name) => `<link rel="stylesheet" href="/${name}">`).join('\n    ');
  await writeFile(
    path.join(harnessOutDir, 'index.html'),
    `<!doctype html>
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
      window.grafanaBootData = { assets: { dark: '', light: '' }, settings: {}, user: {}, navTree: [] };
    </script>
    <script type="module" src="/main.js"></script>
  </body>
</html>
`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildHarness();
  console.log(`harness built in ${harnessOutDir}`);
}

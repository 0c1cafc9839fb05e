// Which unit tests the compat runs (vitest.compat.mts) need: those whose code loads a package the
// compat run swaps for another Grafana major's (@grafana/*, React, rxjs, ...). A test that loads none
// of them runs the very same code in every run, so running it again against Grafana 11 and 13 proves
// nothing the main run did not (src/ is type-checked against each major's packages on its own:
// tsc -p compat/grafana-<major>). esbuild follows each test's imports as vitest will run them: after
// TypeScript's type-only imports are erased, which a text search for `from '@grafana/…'` cannot tell.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** The packages `entry` loads at run time, through its own and its local modules' imports. */
async function packagesLoaded(entry) {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    loader: { '.css': 'empty', '.svg': 'empty' },
  });
  return Object.values(metafile.inputs).flatMap((input) =>
    input.imports.filter((found) => found.external).map((found) => found.path)
  );
}

/** The test files under `folder` (relative to `root`) that load a package matching one of `packages`. */
export async function testsLoading(root, folder, packages) {
  const names = readdirSync(path.join(root, folder), { recursive: true })
    .map(String)
    .filter((name) => /\.test\.tsx?$/.test(name))
    .map((name) => path.posix.join(folder, name.split(path.sep).join('/')));
  const loads = await Promise.all(names.map((name) => packagesLoaded(path.join(root, name))));
  return names.filter((_, index) => loads[index].some((found) => packages.some((pattern) => pattern.test(found)))).sort();
}

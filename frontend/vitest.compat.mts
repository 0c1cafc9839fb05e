import path from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';

import { testsLoading } from './scripts/compatTests.mjs';
import base from './vitest.config.mts';

/**
 * The unit tests once more against the @grafana/* packages (and React) of another Grafana major,
 * installed in compat/grafana-<major> (scripts/compat.sh): GRAFANA_MAJOR=13 npx vitest run -c vitest.compat.mts.
 * Testing Library is bundled too (its ES build: the CommonJS one would require() the main React),
 * so it renders with that React.
 */
const major = process.env.GRAFANA_MAJOR;
if (!major) {
  throw new Error('GRAFANA_MAJOR is not set (11 or 13)');
}
const modules = path.resolve(import.meta.dirname, `compat/grafana-${major}/node_modules`);
const PACKAGES = ['@grafana/data', '@grafana/runtime', '@grafana/schema', '@grafana/ui', 'react-dom', 'react', 'rxjs', 'react-inlinesvg'];
// Only the tests whose code loads one of those packages (or Testing Library, which renders with that
// React) can answer differently here; the others ran already in the main run (scripts/compatTests.mjs).
const SWAPPED = [...PACKAGES, '@testing-library/react'].map((name) => new RegExp(`^${name}(/.*)?$`));

const config = mergeConfig(
  base,
  defineConfig({
    resolve: {
      alias: [
        ...PACKAGES.map((name) => ({ find: new RegExp(`^${name}(/.*)?$`), replacement: `${modules}/${name}$1` })),
        {
          find: /^@testing-library\/react$/,
          replacement: path.resolve(import.meta.dirname, 'node_modules/@testing-library/react/dist/@testing-library/react.esm.js'),
        },
      ],
    },
    test: {
      server: { deps: { inline: [/@grafana\//, /@testing-library\//] } },
    },
  })
);
// Replaced, not merged: mergeConfig would add these files to the base config's pattern.
config.test = { ...config.test, include: await testsLoading(import.meta.dirname, 'tests/unit', SWAPPED) };

export default config;

/**
 * Modules Grafana 11/12 hand to plugins at runtime through SystemJS (sharedDependencies.ts in
 * Grafana). Imports of these stay out of the bundle and become AMD dependencies of module.js;
 * scripts/check-dist.mjs refuses a module.js that asks for anything else.
 * `react/jsx-runtime` is deliberately absent: Grafana shares it only since 12.3 (and a few
 * back-ports), so the code is compiled with the classic JSX runtime instead.
 */
module.exports = [
  '@emotion/css',
  '@emotion/react',
  '@grafana/data',
  '@grafana/runtime',
  '@grafana/ui',
  'd3',
  'i18next',
  'jquery',
  'lodash',
  'moment',
  'prismjs',
  'react',
  'react-dom',
  'react-redux',
  'react-router',
  'react-router-dom',
  'redux',
  'rxjs',
  'rxjs/operators',
];

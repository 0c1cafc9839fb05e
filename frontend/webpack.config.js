const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const GRAFANA_EXTERNALS = require('./grafanaExternals');
const { withRepositoryUrl } = require('./repositoryUrl');

const REPO_ROOT = path.resolve(__dirname, '..');
const DIST = path.join(REPO_ROOT, 'dist');
const PLUGIN_ID = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'plugin.json'), 'utf8')).id;

/**
 * Documents Grafana shows on the plugin page and the license the release zip must carry. The plugin
 * page's README is the user-facing one in src/ (the root README is for developers); its links, and
 * the CHANGELOG's, name the repository a release sets (repositoryUrl.js). `toType: 'file'`
 * because a target without an extension ("LICENSE") is otherwise taken for a folder.
 */
const linkToRepository = (content) => withRepositoryUrl(content.toString());
const DOCUMENTS = [
  { from: path.join(__dirname, 'src', 'README.md'), to: 'README.md', transform: linkToRepository },
  { from: path.join(REPO_ROOT, 'CHANGELOG.md'), to: 'CHANGELOG.md', transform: linkToRepository },
  { from: path.join(REPO_ROOT, 'LICENSE'), to: 'LICENSE', toType: 'file' },
];

/** The package version, kept once in setup.cfg ([metadata] version) for the backend and the plugin. */
function packageVersion() {
  const match = /^version\s*=\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(REPO_ROOT, 'setup.cfg'), 'utf8'));
  if (!match) {
    throw new Error('setup.cfg has no [metadata] version');
  }
  return match[1];
}

/**
 * The release date: SOURCE_DATE_EPOCH when set (reproducible builds), else the date of the last commit,
 * so two builds of one commit write the same plugin.json.
 */
function releaseDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch) {
    return new Date(Number(epoch) * 1000).toISOString().slice(0, 10);
  }
  return execFileSync('git', ['log', '-1', '--format=%cs'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/** plugin.json as shipped: the %VERSION% and %TODAY% placeholders of the root copy filled in, and
 * the repository a release sets in its links. */
function stampPluginJson(content) {
  const stamped = content.toString().replace('%VERSION%', packageVersion()).replace('%TODAY%', releaseDate());
  return withRepositoryUrl(stamped);
}

module.exports = (_env, argv) => ({
  mode: argv.mode || 'production',
  context: path.join(__dirname, 'src'),
  entry: { module: './module.ts' },
  devtool: 'source-map',
  output: {
    path: DIST,
    filename: '[name].js',
    library: { type: 'amd' },
    publicPath: `public/plugins/${PLUGIN_ID}/`,
    uniqueName: PLUGIN_ID,
    // Never clean: dist/ also holds the backend executable and backend/ written by the backend build.
    clean: false,
  },
  externals: GRAFANA_EXTERNALS,
  resolve: { extensions: ['.ts', '.tsx', '.js'] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        loader: 'esbuild-loader',
        options: {
          loader: 'tsx',
          target: 'es2020',
          // Classic runtime: React.createElement, no dependency on a shared react/jsx-runtime.
          jsx: 'transform',
        },
      },
    ],
  },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        { from: path.join(REPO_ROOT, 'plugin.json'), to: 'plugin.json', transform: stampPluginJson },
        { from: 'img', to: 'img' },
        ...DOCUMENTS,
      ],
    }),
  ],
  performance: { hints: false },
});

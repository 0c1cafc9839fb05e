const fs = require('fs');
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const GRAFANA_EXTERNALS = require('./grafanaExternals');

const REPO_ROOT = path.resolve(__dirname, '..');
const DIST = path.join(REPO_ROOT, 'dist');
const PLUGIN_ID = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'plugin.json'), 'utf8')).id;

/** Root documents Grafana shows on the plugin page (and the license the release zip must carry). */
const ROOT_DOCUMENTS = ['README.md', 'CHANGELOG.md', 'LICENSE'].map((name) => ({
  from: path.join(REPO_ROOT, name),
  to: name,
}));

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
        { from: path.join(REPO_ROOT, 'plugin.json'), to: 'plugin.json' },
        { from: 'img', to: 'img' },
        ...ROOT_DOCUMENTS,
      ],
    }),
  ],
  performance: { hints: false },
});

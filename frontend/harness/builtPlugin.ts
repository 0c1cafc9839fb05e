import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as rxjs from 'rxjs';

import type { plugin as Plugin } from '../src/module';

declare const System: {
  set(id: string, module: object): void;
  addImportMap(map: { imports: Record<string, string> }): void;
  import(url: string): Promise<{ plugin: typeof Plugin }>;
};

/**
 * The modules Grafana shares with plugins, taken from the Apache-2.0 npm packages; the built
 * module.js names them as its AMD dependencies (grafanaExternals.js).
 */
const SHARED_MODULES: Record<string, object> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  react: React,
  'react-dom': ReactDOM,
  rxjs,
};

/**
 * The built dist/module.js, loaded the way Grafana loads plugins: SystemJS with its AMD extra,
 * the shared modules registered under `package:<name>` and mapped by an import map.
 */
export async function loadBuiltPlugin() {
  // Loaded only now: the AMD extra installs a global define(), which UMD code in the bundle would
  // otherwise pick up while it initialises.
  await import('systemjs/dist/system.js');
  await import('systemjs/dist/extras/amd.js');
  const imports: Record<string, string> = {};
  for (const [name, module] of Object.entries(SHARED_MODULES)) {
    System.set(`package:${name}`, module);
    imports[name] = `package:${name}`;
  }
  System.addImportMap({ imports });
  const { plugin } = await System.import('/dist/module.js');
  const { DataSourceClass, components } = plugin;
  if (!components.QueryEditor || !components.ConfigEditor) {
    throw new Error('dist/module.js: the plugin has no query or config editor');
  }
  return { DataSourceClass, QueryEditor: components.QueryEditor, ConfigEditor: components.ConfigEditor };
}

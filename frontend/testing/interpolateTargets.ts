import { ScopedVars } from '@grafana/data';
import { setTemplateSrv } from '@grafana/runtime';

import { CloudSqlQuery } from '../src/types';
import { createDataSource } from './createDataSource';
import { createFakeTemplateSrv } from './fakeTemplateSrv';

/**
 * What `interpolate.mjs` runs (bundled for node): each target through the plugin's own
 * `DataSource.applyTemplateVariables`, with the dashboard's variables behind `getTemplateSrv()`.
 * One output per input, in order: filtering hidden targets and building the /api/ds/query
 * envelope is the caller's job, as it is DataSourceWithBackend's in Grafana.
 */
export function interpolateTargets(
  targets: CloudSqlQuery[],
  variables: Record<string, string | string[]>,
  scopedVars: ScopedVars = {}
): CloudSqlQuery[] {
  setTemplateSrv(createFakeTemplateSrv(variables));
  const datasource = createDataSource();
  return targets.map((target) => datasource.applyTemplateVariables(target, scopedVars));
}

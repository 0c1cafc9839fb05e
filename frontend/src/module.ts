import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { CloudSqlOptions, CloudSqlQuery, CloudSqlSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, CloudSqlQuery, CloudSqlOptions, CloudSqlSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);

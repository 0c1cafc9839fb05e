import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { map, Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import { toVariableQuery } from './query/migrate';
import { framesToMetricFindValues } from './query/variableValues';
import { CloudSqlDataSourceApi, CloudSqlQuery } from './types';

/**
 * Runs the variable's SQL through the backend and answers with MetricFindValue objects, which
 * Grafana takes as they are (no guessing of text/value fields by name).
 */
export class CloudSqlVariableSupport extends CustomVariableSupport<CloudSqlDataSourceApi, CloudSqlQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: CloudSqlDataSourceApi) {
    super();
  }

  query(request: DataQueryRequest<CloudSqlQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.map((target): CloudSqlQuery => ({
      ...toVariableQuery(target),
      format: 'table',
      getResult: true,
    }));
    return this.datasource
      .query({ ...request, targets })
      .pipe(map((response) => ({ ...response, data: framesToMetricFindValues(response.data) })));
  }
}

import React, { useMemo } from 'react';

import { QueryEditorProps } from '@grafana/data';

import { completionCandidates } from '../editor/sqlCompletion';
import { useEditorReference } from '../editor/useEditorReference';
import { toVariableQuery } from '../query/migrate';
import { CloudSqlDataSourceApi, CloudSqlOptions, CloudSqlQuery } from '../types';
import { SqlCodeEditor } from './SqlCodeEditor';

type Props = QueryEditorProps<CloudSqlDataSourceApi, CloudSqlQuery, CloudSqlOptions, CloudSqlQuery>;

/** Only the SQL matters for a variable: its first column is the text, the second (if any) the value. */
export function VariableQueryEditor({ query, onChange, datasource }: Props) {
  const current = toVariableQuery(query);
  const { reference, columns } = useEditorReference(datasource);
  const candidates = useMemo(() => completionCandidates(reference, columns), [reference, columns]);
  const store = (rawSql: string) => onChange({ ...current, rawSql });
  return (
    <div data-testid="variable-query-editor">
      <SqlCodeEditor value={current.rawSql ?? ''} height={120} candidates={candidates} onChange={store} onRun={store} />
      <p>
        One column: each value is shown as it is. Two columns: the first is the text shown in the picker, the
        second the value put into queries.
      </p>
    </div>
  );
}

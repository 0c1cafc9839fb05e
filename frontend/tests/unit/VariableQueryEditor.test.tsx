import { act, fireEvent, render, screen } from '@testing-library/react';
import React from 'react';

import { setBackendSrv } from '@grafana/runtime';

import { VariableQueryEditor } from '../../src/components/VariableQueryEditor';
import { CloudSqlQuery } from '../../src/types';
import { createDataSource } from '../../testing/createDataSource';
import { createStubBackendSrv } from '../../testing/stubBackendSrv';

vi.mock('@grafana/ui', async (importOriginal) => {
  const { CodeEditorStub } = await import('../mocks/codeEditorStub');
  return { ...(await importOriginal<object>()), CodeEditor: CodeEditorStub };
});

describe('VariableQueryEditor', () => {
  it('opens a variable saved as a plain SQL string and stores it as a query', async () => {
    setBackendSrv(createStubBackendSrv().backendSrv);
    const onChange = vi.fn();
    render(
      <VariableQueryEditor
        query={'SELECT DISTINCT target_ip FROM $__source' as unknown as CloudSqlQuery}
        onChange={onChange}
        onRunQuery={() => {}}
        datasource={createDataSource()}
      />
    );
    const editor = screen.getByLabelText('SQL editor');
    expect(editor).toHaveValue('SELECT DISTINCT target_ip FROM $__source');
    expect(screen.getByText(/Two columns: the first is the text/)).toBeInTheDocument();

    fireEvent.change(editor, { target: { value: 'SELECT name, ip FROM hosts' } });
    fireEvent.blur(editor);
    expect(onChange).toHaveBeenCalledWith({ refId: 'variable', rawSql: 'SELECT name, ip FROM hosts' });
    await act(async () => {});
  });
});

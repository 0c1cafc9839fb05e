import React, { useEffect, useRef } from 'react';

import { CodeEditor, Monaco, MonacoEditor, monacoTypes } from '@grafana/ui';

import { CompletionCandidate, registerSqlCompletion } from '../editor/sqlCompletion';

interface Props {
  value: string;
  height: number;
  candidates: CompletionCandidate[];
  /** The editor's text when it loses focus. */
  onChange: (sql: string) => void;
  /** Shift+Enter or Ctrl/Cmd+Enter: store the text and run it. */
  onRun: (sql: string) => void;
}

export function SqlCodeEditor({ value, height, candidates, onChange, onRun }: Props) {
  // Monaco keeps the callbacks registered at mount; refs let them see the latest props.
  const candidatesRef = useRef(candidates);
  const onRunRef = useRef(onRun);
  const completionRef = useRef<monacoTypes.IDisposable | undefined>(undefined);

  useEffect(() => {
    candidatesRef.current = candidates;
    onRunRef.current = onRun;
  });
  useEffect(() => () => completionRef.current?.dispose(), []);

  const onEditorDidMount = (editor: MonacoEditor, monaco: Monaco) => {
    completionRef.current = registerSqlCompletion(monaco, editor, () => candidatesRef.current);
    const run = () => onRunRef.current(editor.getValue());
    editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, run);
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, run);
  };

  return (
    <div data-testid="sql-editor" aria-label="SQL query (run with Shift+Enter)">
      <CodeEditor
        value={value}
        language="sql"
        height={height}
        showLineNumbers
        showMiniMap={false}
        onBlur={onChange}
        onEditorDidMount={onEditorDidMount}
        monacoOptions={{ fixedOverflowWidgets: true, scrollBeyondLastLine: false }}
      />
    </div>
  );
}

import React, { useEffect, useRef, useState } from 'react';

import type { CodeEditor, Monaco, MonacoEditor } from '@grafana/ui';

type CodeEditorProps = React.ComponentProps<typeof CodeEditor>;

/** Monaco's key codes for the bindings the SQL editor registers. */
export const KEY = { Shift: 1024, CtrlCmd: 2048, Enter: 3 };

/**
 * Monaco does not run in jsdom: a textarea that calls the real editor's callbacks the way
 * CodeEditor does (onBlur with the text, onEditorDidMount with an editor whose addCommand
 * bindings fire on key presses).
 */
export function CodeEditorStub({ value, onBlur, onEditorDidMount }: CodeEditorProps) {
  const [text, setText] = useState(value);
  const textRef = useRef(value);
  const commands = useRef(new Map<number, () => void>());
  textRef.current = text;

  useEffect(() => setText(value), [value]);
  useEffect(() => {
    const model = {};
    const editor = {
      addCommand: (keybinding: number, handler: () => void) => commands.current.set(keybinding, handler),
      getValue: () => textRef.current,
      getModel: () => model,
    } as unknown as MonacoEditor;
    const monaco = {
      KeyMod: { Shift: KEY.Shift, CtrlCmd: KEY.CtrlCmd },
      KeyCode: { Enter: KEY.Enter },
      languages: { registerCompletionItemProvider: () => ({ dispose: () => {} }), CompletionItemKind: {} },
    } as unknown as Monaco;
    onEditorDidMount?.(editor, monaco);
    // Once, at mount, like Monaco.
  }, []);

  return (
    <textarea
      aria-label="SQL editor"
      value={text}
      onChange={(event) => setText(event.currentTarget.value)}
      onBlur={() => onBlur?.(textRef.current)}
      onKeyDown={(event) => {
        const modifiers = (event.shiftKey ? KEY.Shift : 0) | (event.ctrlKey ? KEY.CtrlCmd : 0);
        commands.current.get(modifiers | (event.key === 'Enter' ? KEY.Enter : 0))?.();
      }}
    />
  );
}

import React, { useEffect, useRef } from 'react';

import type { CodeEditor, Monaco, MonacoEditor } from '@grafana/ui';

type CodeEditorProps = React.ComponentProps<typeof CodeEditor>;

/** Monaco's key codes for the bindings the SQL editor registers. */
export const KEY = { Shift: 1024, CtrlCmd: 2048, Enter: 3 };

/**
 * Monaco does not run in jsdom: a textarea that calls the real editor's callbacks the way
 * CodeEditor does (onBlur with the text, onEditorDidMount with an editor whose addCommand
 * bindings fire on key presses). Like Monaco it takes `value` as its initial text.
 */
export function CodeEditorStub({ value, onBlur, onEditorDidMount }: CodeEditorProps) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  const commands = useRef(new Map<number, () => void>());

  useEffect(() => {
    const model = {};
    const editor = {
      addCommand: (keybinding: number, handler: () => void) => commands.current.set(keybinding, handler),
      getValue: () => textarea.current?.value ?? '',
      getModel: () => model,
    } as unknown as MonacoEditor;
    const monaco = {
      KeyMod: { Shift: KEY.Shift, CtrlCmd: KEY.CtrlCmd },
      KeyCode: { Enter: KEY.Enter },
      languages: { registerCompletionItemProvider: () => ({ dispose: () => {} }), CompletionItemKind: {} },
    } as unknown as Monaco;
    onEditorDidMount?.(editor, monaco);
    // Called once, at mount, as Monaco does; later callback identities do not matter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <textarea
      ref={textarea}
      aria-label="SQL editor"
      defaultValue={value}
      onBlur={(event) => onBlur?.(event.currentTarget.value)}
      onKeyDown={(event) => {
        const modifiers = (event.shiftKey ? KEY.Shift : 0) | (event.ctrlKey ? KEY.CtrlCmd : 0);
        commands.current.get(modifiers | (event.key === 'Enter' ? KEY.Enter : 0))?.();
      }}
    />
  );
}

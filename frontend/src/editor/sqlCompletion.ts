import type { Monaco, MonacoEditor, monacoTypes } from '@grafana/ui';

import { ColumnInfo, MacroReference, ReferenceEntry } from '../resources';

export type CompletionKind = 'macro' | 'function' | 'column';

export interface CompletionCandidate {
  label: string;
  kind: CompletionKind;
  detail: string;
  documentation: string;
}

function fromReference(entry: ReferenceEntry, kind: CompletionKind): CompletionCandidate {
  const documentation = entry.example ? `${entry.description}\n\nExample: ${entry.example}` : entry.description;
  return { label: entry.name, kind, detail: entry.signature || entry.name, documentation };
}

export function completionCandidates(reference: MacroReference, columns: ColumnInfo[]): CompletionCandidate[] {
  return [
    ...reference.macros.map((entry) => fromReference(entry, 'macro')),
    ...reference.functions.map((entry) => fromReference(entry, 'function')),
    ...columns.map(
      (column): CompletionCandidate => ({
        label: column.name,
        kind: 'column',
        detail: `FLOW_FLAT column (${column.type})`,
        documentation: '',
      })
    ),
  ];
}

/**
 * Where the word being completed starts (0-based index into the text before the cursor).
 * Monaco's SQL word pattern stops at `$`, which would leave `$__` behind when a macro is inserted.
 */
export function completionWordStart(textBeforeCursor: string): number {
  const match = /[\w$]*$/.exec(textBeforeCursor);
  return textBeforeCursor.length - (match ? match[0].length : 0);
}

function monacoKind(monaco: Monaco, kind: CompletionKind): monacoTypes.languages.CompletionItemKind {
  switch (kind) {
    case 'macro':
      return monaco.languages.CompletionItemKind.Variable;
    case 'function':
      return monaco.languages.CompletionItemKind.Function;
    case 'column':
      return monaco.languages.CompletionItemKind.Field;
  }
}

/**
 * Registers completion for this editor's model only (Monaco providers are global per language, and
 * a dashboard can show several editors). Returns the disposable.
 */
export function registerSqlCompletion(
  monaco: Monaco,
  editor: MonacoEditor,
  getCandidates: () => CompletionCandidate[]
): monacoTypes.IDisposable {
  return monaco.languages.registerCompletionItemProvider('sql', {
    triggerCharacters: ['$'],
    provideCompletionItems(model, position) {
      if (model !== editor.getModel()) {
        return { suggestions: [] };
      }
      const before = model.getValueInRange({
        startLineNumber: position.lineNumber,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: position.column,
      });
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: completionWordStart(before) + 1,
        endColumn: position.column,
      };
      const suggestions = getCandidates().map((candidate) => ({
        label: candidate.label,
        kind: monacoKind(monaco, candidate.kind),
        detail: candidate.detail,
        documentation: candidate.documentation,
        insertText: candidate.label,
        range,
      }));
      return { suggestions };
    },
  });
}

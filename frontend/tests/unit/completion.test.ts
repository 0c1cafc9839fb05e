import type { Monaco, MonacoEditor } from '@grafana/ui';

import { completionCandidates, completionWordStart, registerSqlCompletion } from '../../src/editor/sqlCompletion';
import { MACROS, SCHEMA } from '../../testing/fixtures';

describe('completionCandidates', () => {
  it('offers macros, functions and FLOW_FLAT columns with their documentation', () => {
    const candidates = completionCandidates(MACROS, SCHEMA.relations[0].columns);
    expect(candidates.map((c) => [c.label, c.kind])).toEqual([
      ['$__source', 'macro'],
      ['$__timeFilter', 'macro'],
      ['$__dest', 'macro'],
      ['TS_SEG_SUM', 'function'],
      ['start_time', 'column'],
      ['initiator_ip', 'column'],
      ['target_ip', 'column'],
      ['bytes_from_initiator', 'column'],
    ]);
    const timeFilter = candidates[1];
    expect(timeFilter.detail).toBe('$__timeFilter(column)');
    expect(timeFilter.documentation).toContain('Example: WHERE $__timeFilter(timestamp)');
    expect(candidates[4].detail).toBe('FLOW_FLAT column (TIMESTAMP)');
  });

  it('is empty when the backend gave nothing', () => {
    expect(completionCandidates({ macros: [], functions: [] }, [])).toEqual([]);
  });
});

describe('completionWordStart', () => {
  it.each([
    ['SELECT * FROM $__sou', 14],
    ['WHERE ts_seg', 6],
    ['SELECT ', 7],
    ['', 0],
    ['x,$', 2],
  ])('%j → %d', (text, start) => {
    expect(completionWordStart(text)).toBe(start);
  });
});

describe('registerSqlCompletion', () => {
  interface Provider {
    triggerCharacters?: string[];
    provideCompletionItems: (
      model: unknown,
      position: { lineNumber: number; column: number }
    ) => { suggestions: Array<Record<string, unknown>> };
  }

  function fakeMonaco() {
    let provider: Provider | undefined;
    const monaco = {
      languages: {
        CompletionItemKind: { Variable: 4, Function: 1, Field: 3 },
        registerCompletionItemProvider: vi.fn((_language: string, registered: typeof provider) => {
          provider = registered;
          return { dispose: vi.fn() };
        }),
      },
    } as unknown as Monaco;
    return { monaco, provider: () => provider! };
  }

  it('completes $__ macros for its own model, replacing the typed prefix', () => {
    const { monaco, provider } = fakeMonaco();
    const line = 'SELECT * FROM $__so';
    const model = { getValueInRange: () => line };
    const editor = { getModel: () => model } as unknown as MonacoEditor;
    registerSqlCompletion(monaco, editor, () => completionCandidates(MACROS, []));

    expect(provider().triggerCharacters).toEqual(['$']);
    const result = provider().provideCompletionItems(model, { lineNumber: 1, column: line.length + 1 });
    expect(result.suggestions[0]).toMatchObject({
      label: '$__source',
      insertText: '$__source',
      kind: 4,
      range: { startLineNumber: 1, endLineNumber: 1, startColumn: 15, endColumn: line.length + 1 },
    });
    expect(result.suggestions.map((s) => s.kind)).toEqual([4, 4, 4, 1]);
  });

  it('stays silent for another editor model', () => {
    const { monaco, provider } = fakeMonaco();
    const editor = { getModel: () => ({}) } as unknown as MonacoEditor;
    registerSqlCompletion(monaco, editor, () => completionCandidates(MACROS, []));
    const otherModel = { getValueInRange: () => '' };
    expect(provider().provideCompletionItems(otherModel, { lineNumber: 1, column: 1 })).toEqual({ suggestions: [] });
  });
});

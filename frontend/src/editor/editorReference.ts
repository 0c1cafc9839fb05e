import { ColumnInfo, EMPTY_REFERENCE, MacroReference, ReferenceSource, resourceErrorMessage } from '../resources';

/** What the query editor needs from the backend for help and completion. */
export interface EditorReference {
  reference: MacroReference;
  columns: ColumnInfo[];
  /** One line per endpoint that failed; the editor still works without them. */
  problems: string[];
}

const FLOW_FLAT = 'FLOW_FLAT';

// Every query row of a dashboard mounts an editor: share one request per datasource instance.
const pending = new WeakMap<ReferenceSource, Promise<EditorReference>>();

async function fetchEditorReference(datasource: ReferenceSource): Promise<EditorReference> {
  const [macros, schema] = await Promise.allSettled([datasource.fetchMacroReference(), datasource.fetchSchema()]);
  const problems: string[] = [];
  let reference = EMPTY_REFERENCE;
  let columns: ColumnInfo[] = [];
  if (macros.status === 'fulfilled') {
    reference = { macros: macros.value?.macros ?? [], functions: macros.value?.functions ?? [] };
  } else {
    problems.push(`macro reference unavailable: ${resourceErrorMessage(macros.reason)}`);
  }
  if (schema.status === 'fulfilled') {
    columns = schema.value?.relations?.find((relation) => relation.name.toUpperCase() === FLOW_FLAT)?.columns ?? [];
  } else {
    problems.push(`${FLOW_FLAT} columns unavailable: ${resourceErrorMessage(schema.reason)}`);
  }
  return { reference, columns, problems };
}

/** Loads once per datasource; a result with problems is not kept, so the next editor retries. */
export function loadEditorReference(datasource: ReferenceSource): Promise<EditorReference> {
  const cached = pending.get(datasource);
  if (cached) {
    return cached;
  }
  const loading = fetchEditorReference(datasource).then((result) => {
    if (result.problems.length > 0) {
      pending.delete(datasource);
    }
    return result;
  });
  pending.set(datasource, loading);
  return loading;
}

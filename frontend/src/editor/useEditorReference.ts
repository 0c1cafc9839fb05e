import { useEffect, useMemo, useState } from 'react';

import { EMPTY_REFERENCE, ReferenceSource } from '../resources';
import { EditorReference, loadEditorReference } from './editorReference';

export interface EditorReferenceState extends EditorReference {
  loading: boolean;
}

const INITIAL: EditorReferenceState = { reference: EMPTY_REFERENCE, columns: [], problems: [], loading: true };

export function useEditorReference(datasource: ReferenceSource): EditorReferenceState {
  // Kept with the datasource it belongs to, so a switch of datasource shows "loading" again.
  const [loaded, setLoaded] = useState<{ datasource: ReferenceSource; reference: EditorReference }>();
  useEffect(() => {
    let active = true;
    loadEditorReference(datasource).then((reference) => {
      if (active) {
        setLoaded({ datasource, reference });
      }
    });
    return () => {
      active = false;
    };
  }, [datasource]);
  return useMemo(
    () => (loaded?.datasource === datasource ? { ...loaded.reference, loading: false } : INITIAL),
    [loaded, datasource]
  );
}

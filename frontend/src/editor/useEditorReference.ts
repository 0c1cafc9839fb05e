import { useEffect, useState } from 'react';

import type { DataSource } from '../datasource';
import { EMPTY_REFERENCE } from '../resources';
import { EditorReference, loadEditorReference } from './editorReference';

export interface EditorReferenceState extends EditorReference {
  loading: boolean;
}

const INITIAL: EditorReferenceState = { reference: EMPTY_REFERENCE, columns: [], problems: [], loading: true };

export function useEditorReference(datasource: DataSource): EditorReferenceState {
  const [state, setState] = useState<EditorReferenceState>(INITIAL);
  useEffect(() => {
    let active = true;
    setState(INITIAL);
    loadEditorReference(datasource).then((loaded) => {
      if (active) {
        setState({ ...loaded, loading: false });
      }
    });
    return () => {
      active = false;
    };
  }, [datasource]);
  return state;
}

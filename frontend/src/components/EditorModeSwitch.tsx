import React, { useState } from 'react';

import { ConfirmModal, InlineField, RadioButtonGroup } from '@grafana/ui';

import { EditorMode } from '../builder/mode';
import { QUERY_TOOLTIPS } from './tooltips';

const MODE_OPTIONS: Array<{ label: string; value: EditorMode; icon: string }> = [
  { label: 'Builder', value: 'builder', icon: 'list-ul' },
  { label: 'Code', value: 'code', icon: 'brackets-curly' },
];

interface Props {
  mode: EditorMode;
  /** Switching to the builder would replace SQL the builder did not write: ask first. */
  confirmToBuilder: boolean;
  onChange: (mode: EditorMode) => void;
}

/** Builder / Code toggle, like Grafana's SQL datasources; asks before the builder overwrites hand-written SQL. */
export function EditorModeSwitch({ mode, confirmToBuilder, onChange }: Props) {
  const [asking, setAsking] = useState(false);
  const select = (next: EditorMode) => {
    if (next === 'builder' && confirmToBuilder) {
      setAsking(true);
    } else {
      onChange(next);
    }
  };
  // InlineField hands props such as `invalid` to its single child: the modal stays outside it.
  return (
    <>
      <InlineField label="Editor" tooltip={QUERY_TOOLTIPS.mode}>
        <RadioButtonGroup<EditorMode> options={MODE_OPTIONS} value={mode} onChange={select} size="sm" />
      </InlineField>
      <ConfirmModal
        isOpen={asking}
        title="Replace the SQL with the builder's query?"
        body="The builder cannot show hand-written SQL. Switching replaces the SQL with the query the builder writes; the current SQL is lost unless you copy it first."
        confirmText="Switch to builder"
        onConfirm={() => {
          setAsking(false);
          onChange('builder');
        }}
        onDismiss={() => setAsking(false)}
      />
    </>
  );
}

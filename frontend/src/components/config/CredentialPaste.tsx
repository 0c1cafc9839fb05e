import { css } from '@emotion/css';
import React, { useState } from 'react';

import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Field, TextArea, useStyles2 } from '@grafana/ui';

import { applyServiceCredential, describeCredential, parseServiceCredential } from '../../config/serviceCredential';
import { CloudSqlSettings } from '../../config/settingsUpdate';

interface Props {
  settings: CloudSqlSettings;
  onChange: (settings: CloudSqlSettings) => void;
}

type Outcome = { severity: 'success' | 'error'; message: string };

/** Fills the authentication fields from the JSON that IBM Cloud shows for a COS service credential. */
export function CredentialPaste({ settings, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const [pasted, setPasted] = useState('');
  const [outcome, setOutcome] = useState<Outcome>();

  const apply = () => {
    const parsed = parseServiceCredential(pasted);
    if (!parsed.ok) {
      setOutcome({ severity: 'error', message: parsed.error });
      return;
    }
    onChange(applyServiceCredential(settings, parsed.credential));
    // The pasted text holds secrets: do not keep it in the page once it is applied.
    setPasted('');
    setOutcome({ severity: 'success', message: describeCredential(parsed.credential) });
  };

  return (
    <Field
      label="Paste a COS service credential"
      description='IBM Cloud console → your Object Storage instance → Service credentials → copy. Fills the API key (or the HMAC keys when the credential has "cos_hmac_keys") and the service instance id.'
    >
      <div className={styles.stack}>
        <TextArea
          aria-label="Service credential JSON"
          rows={4}
          placeholder='{"apikey": "...", "resource_instance_id": "crn:v1:...", "cos_hmac_keys": {...}}'
          value={pasted}
          onChange={(event) => setPasted(event.currentTarget.value)}
        />
        <Button variant="secondary" size="sm" disabled={!pasted.trim()} onClick={apply}>
          Fill from credential
        </Button>
        {outcome && (
          <Alert severity={outcome.severity} title={outcome.severity === 'success' ? 'Credential applied' : 'Not applied'}>
            {outcome.message}
          </Alert>
        )}
      </div>
    </Field>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  stack: css({ display: 'flex', flexDirection: 'column', alignItems: 'flex-start', gap: theme.spacing(1) }),
});

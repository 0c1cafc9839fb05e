import { setBackendSrv } from '@grafana/runtime';

import { loadEditorReference } from '../../src/editor/editorReference';
import { createDataSource } from '../../testing/createDataSource';
import { createStubBackendSrv } from '../../testing/stubBackendSrv';

describe('loadEditorReference', () => {
  it('loads macros and the FLOW_FLAT columns once per datasource', async () => {
    const { backendSrv, requests } = createStubBackendSrv();
    setBackendSrv(backendSrv);
    const ds = createDataSource();

    const first = await loadEditorReference(ds);
    const second = await loadEditorReference(ds);

    expect(first.problems).toEqual([]);
    expect(first.reference.macros.map((m) => m.name)).toContain('$__source');
    expect(first.columns.map((c) => c.name)).toContain('target_ip');
    expect(second).toBe(first);
    expect(requests).toHaveLength(2);
  });

  it('keeps what loaded when one endpoint fails, reports it, and retries next time', async () => {
    const failing = createStubBackendSrv({ failing: ['macros'] });
    setBackendSrv(failing.backendSrv);
    const ds = createDataSource();

    const degraded = await loadEditorReference(ds);
    expect(degraded.reference).toEqual({ macros: [], functions: [] });
    expect(degraded.columns).toHaveLength(4);
    expect(degraded.problems).toEqual(['macro reference unavailable: macros is broken in this test']);

    const healthy = createStubBackendSrv();
    setBackendSrv(healthy.backendSrv);
    const retried = await loadEditorReference(ds);
    expect(retried.problems).toEqual([]);
    expect(healthy.requests).toHaveLength(2);
  });
});

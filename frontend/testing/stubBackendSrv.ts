import { Observable, of, throwError } from 'rxjs';

import { DataFrameJSON } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';

import { ExpandRequest } from '../src/resources';
import { CloudSqlQuery } from '../src/types';
import { estimateStub, expandStub, MACROS, planStub, SCHEMA } from './fixtures';

export interface RecordedRequest {
  method: string;
  url: string;
  data?: unknown;
}

export interface StubOptions {
  /** Resource paths answered with 500, to exercise the editors' fallbacks. */
  failing?: string[];
  /** What `POST /api/ds/query` answers for each query of the request (none: no frames). */
  frames?: DataFrameJSON[];
}

const RESOURCE_PREFIX = /^\/api\/datasources\/uid\/[^/]+\/resources\//;

function response<T>(status: number, data: T, request: BackendSrvRequest): FetchResponse<T> {
  return {
    data,
    status,
    ok: status < 300,
    statusText: status < 300 ? 'OK' : 'Error',
    headers: new Headers(),
    redirected: false,
    type: 'basic',
    url: request.url,
    config: request,
  };
}

/** The resources that read a query and a range (the body of `ExpandRequest`). */
const POST_STUBS: Record<string, ((rawSql: string, range: ExpandRequest['range']) => unknown) | undefined> = {
  expand: expandStub,
  estimate: estimateStub,
  plan: planStub,
};

/** Grafana's `/api/ds/query` answer: the canned frames under each refId of the request. */
function queryAnswer(data: unknown, frames: DataFrameJSON[] = []): unknown {
  const { queries } = data as { queries: Array<{ refId: string }> };
  return { results: Object.fromEntries(queries.map(({ refId }) => [refId, { status: 200, frames }])) };
}

function answer(method: string, path: string, data: unknown): unknown {
  if (method === 'GET' && path === 'macros') {
    return MACROS;
  }
  if (method === 'GET' && path === 'schema') {
    return SCHEMA;
  }
  const stub = POST_STUBS[path];
  if (method === 'POST' && stub) {
    const body = data as ExpandRequest;
    return stub((body.query as CloudSqlQuery).rawSql ?? '', body.range);
  }
  throw { status: 404, data: { error: `no resource ${method} ${path}` } };
}

/**
 * A BackendSrv answering the datasource's resource calls with canned JSON of the backend's
 * contract, and recording every request. Errors have Grafana's FetchError shape ({status, data}).
 */
export function createStubBackendSrv(options: StubOptions = {}) {
  const requests: RecordedRequest[] = [];
  const fetch = (request: BackendSrvRequest): Observable<FetchResponse<unknown>> => {
    const method = (request.method ?? 'GET').toUpperCase();
    requests.push({ method, url: request.url, data: request.data });
    const path = request.url.replace(RESOURCE_PREFIX, '');
    if (options.failing?.includes(path)) {
      return throwError(() => ({ status: 500, data: { error: `${path} is broken in this test` } }));
    }
    try {
      const body = path.startsWith('/api/ds/query') ? queryAnswer(request.data, options.frames) : answer(method, path, request.data);
      return of(response(200, body, request));
    } catch (error) {
      return throwError(() => error);
    }
  };
  const backendSrv = { fetch } as unknown as BackendSrv;
  return { backendSrv, requests };
}

import { Observable } from 'rxjs';

import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';

import { RecordedRequest } from './stubBackendSrv';

/** A body as JSON when it parses, else the text (Grafana's backendSrv does the same). */
function parseBody(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function withParams(url: string, params: BackendSrvRequest['params']): string {
  const entries = Object.entries(params ?? {}).filter(([, value]) => value !== undefined);
  if (entries.length === 0) {
    return url;
  }
  const search = new URLSearchParams(entries.map(([key, value]) => [key, String(value)]));
  return `${url}${url.includes('?') ? '&' : '?'}${search}`;
}

/**
 * A BackendSrv that sends each request over HTTP to the page's own origin, where the browser
 * tests' server hands `/api/*` to the Grafana-less host; so the plugin's code reaches the real
 * backend along Grafana's routes. Grafana's own BackendSrv is AGPL application code; this one keeps
 * its contract for what the plugin uses (`fetch`): JSON bodies, `params` as the query string, and
 * for an answer that is not 2xx an error shaped like Grafana's FetchError ({status, data}).
 */
export function createHttpBackendSrv() {
  const requests: RecordedRequest[] = [];
  const fetch = <T,>(request: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable((subscriber) => {
      const method = (request.method ?? 'GET').toUpperCase();
      requests.push({ method, url: request.url, data: request.data });
      const abort = new AbortController();
      const headers = new Headers(request.headers);
      const body = request.data === undefined ? undefined : JSON.stringify(request.data);
      if (body !== undefined) {
        headers.set('Content-Type', 'application/json');
      }
      window
        .fetch(withParams(request.url, request.params), { method, headers, body, signal: abort.signal })
        .then(async (answer) => {
          const data = parseBody(await answer.text()) as T;
          const response: FetchResponse<T> = {
            data,
            status: answer.status,
            ok: answer.ok,
            statusText: answer.statusText,
            headers: answer.headers,
            redirected: answer.redirected,
            type: answer.type,
            url: answer.url,
            config: request,
          };
          if (answer.ok) {
            subscriber.next(response);
            subscriber.complete();
          } else {
            const error: FetchError<T> = { status: answer.status, statusText: answer.statusText, data, config: request };
            subscriber.error(error);
          }
        })
        .catch((reason: unknown) => {
          if (!abort.signal.aborted) {
            const error: FetchError = { status: 0, data: { message: String(reason) }, config: request };
            subscriber.error(error);
          }
        });
      return () => abort.abort();
    });
  const backendSrv = { fetch } as unknown as BackendSrv;
  return { backendSrv, requests };
}

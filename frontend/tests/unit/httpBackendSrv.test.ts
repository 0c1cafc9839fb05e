import { lastValueFrom } from 'rxjs';

import { createHttpBackendSrv } from '../../testing/httpBackendSrv';

/** Replaces window.fetch with one answering `status` and `body`, recording what it was sent. */
function answerWith(status: number, body: string) {
  const sent: Array<{ url: string; init: RequestInit }> = [];
  vi.spyOn(window, 'fetch').mockImplementation(async (url, init) => {
    sent.push({ url: String(url), init: init ?? {} });
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  });
  return sent;
}

describe('HTTP BackendSrv of the real-backend page', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['no params', undefined, '/api/x'],
    ['params as the query string', { a: 1, b: 'two words' }, '/api/x?a=1&b=two+words'],
    ['undefined params left out', { a: undefined, b: 'x' }, '/api/x?b=x'],
  ])('GET with %s', async (_name, params, url) => {
    const sent = answerWith(200, '{"ok":true}');
    const { backendSrv, requests } = createHttpBackendSrv();
    const response = await lastValueFrom(backendSrv.fetch({ url: '/api/x', params }));
    expect(response).toMatchObject({ status: 200, ok: true, data: { ok: true } });
    expect(sent[0].url).toBe(url);
    expect(sent[0].init.method).toBe('GET');
    expect(sent[0].init.body).toBeUndefined();
    expect(requests).toEqual([{ method: 'GET', url: '/api/x', data: undefined }]);
  });

  it('sends data as a JSON body with its content type', async () => {
    const sent = answerWith(200, '');
    const { backendSrv } = createHttpBackendSrv();
    const response = await lastValueFrom(
      backendSrv.fetch({ url: '/api/ds/query', method: 'POST', data: { queries: [] }, headers: { 'X-Cache-Skip': 'true' } })
    );
    expect(response.data).toBeUndefined();
    expect(sent[0].init.body).toBe('{"queries":[]}');
    const headers = sent[0].init.headers as Headers;
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(headers.get('X-Cache-Skip')).toBe('true');
  });

  it.each([
    ['a JSON body', '{"error":"unknown macro"}', { error: 'unknown macro' }],
    ['a text body', 'plugin unavailable', 'plugin unavailable'],
  ])('fails a 400 with Grafana FetchError shape and %s', async (_name, body, data) => {
    answerWith(400, body);
    const { backendSrv } = createHttpBackendSrv();
    await expect(lastValueFrom(backendSrv.fetch({ url: '/api/x' }))).rejects.toMatchObject({ status: 400, data });
  });
});

import { resourceErrorMessage } from '../../src/resources';

describe('resourceErrorMessage', () => {
  it.each<[string, unknown, string]>([
    ['the backend error body', { status: 400, data: { error: 'unknown macro' } }, 'unknown macro'],
    ['a Grafana message body', { status: 502, data: { message: 'plugin unavailable' } }, 'plugin unavailable'],
    ['an Error', new Error('network down'), 'network down'],
    ['a status text', { status: 500, statusText: 'Internal Server Error' }, 'Internal Server Error'],
    ['a string', 'boom', 'boom'],
    ['anything else', 42, 'the request failed'],
  ])('uses %s', (_name, error, expected) => {
    expect(resourceErrorMessage(error)).toBe(expected);
  });
});

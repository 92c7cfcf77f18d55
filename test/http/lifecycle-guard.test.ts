import { lifecycleRefusal } from '../../src/http/lifecycle-guard';

describe('lifecycleRefusal (POST /-/reload)', () => {
  it('refuses everything without --web.enable-lifecycle, as Prometheus does', () => {
    expect(lifecycleRefusal(false, { host: 'h:9479' })).toEqual({ status: 403, message: 'Lifecycle API is not enabled.' });
  });

  it.each([
    ['curl -X POST (no body, no browser headers)', { host: 'h:9479' }],
    ['a JSON client', { host: 'h:9479', 'content-type': 'application/json' }],
    ['the same origin', { host: 'h:9479', origin: 'http://h:9479', 'sec-fetch-site': 'same-origin' }],
    ['a user typing the URL', { host: 'h:9479', 'sec-fetch-site': 'none' }],
  ])('lets %s through when enabled', (_name, headers) => {
    expect(lifecycleRefusal(true, headers)).toBeUndefined();
  });

  it.each([
    ['a cross-site form (Sec-Fetch-Site)', { host: 'h:9479', 'sec-fetch-site': 'cross-site' }, 403],
    ['a same-site page on another port', { host: 'h:9479', 'sec-fetch-site': 'same-site' }, 403],
    ['another origin', { host: 'h:9479', origin: 'http://evil.example' }, 403],
    ['an opaque origin', { host: 'h:9479', origin: 'null' }, 403],
    ['a form body from an old browser', { host: 'h:9479', 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['a multipart form', { host: 'h:9479', 'content-type': 'multipart/form-data; boundary=x' }, 415],
    ['a text/plain form', { host: 'h:9479', 'content-type': 'Text/Plain;charset=UTF-8' }, 415],
  ])('refuses %s', (_name, headers, status) => {
    expect(lifecycleRefusal(true, headers)?.status).toBe(status);
  });
});

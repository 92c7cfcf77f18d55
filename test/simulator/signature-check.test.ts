import { createHash, createHmac } from 'node:crypto';
import { checkSignature, parseXDate, RequestView } from '../../src/simulator/signature-check';
import { sign } from '../../src/volc/signer';

const KEY = { accessKeyId: 'AKLTtest', secretAccessKey: 'dGVzdC1zZWNyZXQ=' };
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const CFG = { ...KEY, region: 'cn-north-1', service: 'rtc', nowMs: NOW };
const QUERY = { Action: 'GetRoomOnlineUsers', Version: '2023-08-01', AppId: 'app', RoomId: 'room 1*' };

function signedRequest(over: Partial<Parameters<typeof sign>[0]> = {}): RequestView {
  const input = {
    method: 'GET',
    host: '127.0.0.1:8080',
    query: QUERY,
    ...KEY,
    region: 'cn-north-1',
    service: 'rtc',
    date: new Date(NOW),
    ...over,
  };
  const s = sign(input);
  const headers: Record<string, string> = { host: input.host };
  for (const [k, v] of Object.entries(s.headers)) headers[k.toLowerCase()] = v;
  return { method: input.method, path: '/', query: { ...input.query }, headers, body: input.body ?? '' };
}

describe('checkSignature', () => {
  it('accepts a request signed by the client signer', () => {
    expect(checkSignature(signedRequest(), CFG)).toBeUndefined();
    expect(checkSignature(signedRequest({ body: '{"a":1}', method: 'POST' }), CFG)).toBeUndefined();
  });

  const cases: [string, (r: RequestView) => void, string][] = [
    ['a changed query value', (r) => (r.query.RoomId = 'other'), 'SignatureDoesNotMatch'],
    ['an added query parameter', (r) => (r.query.Extra = '1'), 'SignatureDoesNotMatch'],
    ['a changed method', (r) => (r.method = 'POST'), 'SignatureDoesNotMatch'],
    ['a changed path', (r) => (r.path = '/x'), 'SignatureDoesNotMatch'],
    ['a different Host', (r) => (r.headers.host = 'evil:8080'), 'SignatureDoesNotMatch'],
    ['a body that does not match X-Content-Sha256', (r) => (r.body = 'x'), 'SignatureDoesNotMatch'],
    [
      'a flipped signature digit',
      (r) => (r.headers.authorization = String(r.headers.authorization).replace(/.$/, (c) => (c === '0' ? '1' : '0'))),
      'SignatureDoesNotMatch',
    ],
    ['no Authorization', (r) => delete r.headers.authorization, 'InvalidAuthorization'],
    ['a garbled Authorization', (r) => (r.headers.authorization = 'Bearer x'), 'InvalidAuthorization'],
    [
      'host left out of SignedHeaders after signing it',
      (r) => (r.headers.authorization = String(r.headers.authorization).replace('host;', '')),
      'SignatureDoesNotMatch',
    ],
    [
      'x-date left out of SignedHeaders',
      (r) => (r.headers.authorization = String(r.headers.authorization).replace('x-content-sha256;x-date', 'x-content-sha256')),
      'InvalidAuthorization',
    ],
    ['no X-Date', (r) => delete r.headers['x-date'], 'InvalidTimestamp'],
  ];
  it.each(cases)('rejects %s', (_name, tamper, code) => {
    const req = signedRequest();
    tamper(req);
    expect(checkSignature(req, CFG)?.code).toBe(code);
  });

  /**
   * Signed the way the vendor's official Node SDK does with its defaults: SignedHeaders=x-date only, no
   * host, no X-Content-Sha256 header. Written out here step by step from the published algorithm rather
   * than with src/volc/signer, so the check is tested against an independent signer.
   */
  function sdkStyleRequest(secret = KEY.secretAccessKey): RequestView {
    const stamp = '20240501T120000Z';
    const sha = (d: string): string => createHash('sha256').update(d).digest('hex');
    const mac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();
    const query = 'Action=GetRoomOnlineUsers&AppId=app&RoomId=room%201%2A&Version=2023-08-01';
    const canonical = ['GET', '/', query, `x-date:${stamp}\n`, 'x-date', sha('')].join('\n');
    const scope = `20240501/cn-north-1/rtc/request`;
    const toSign = ['HMAC-SHA256', stamp, scope, sha(canonical)].join('\n');
    const key = mac(mac(mac(mac(secret, '20240501'), 'cn-north-1'), 'rtc'), 'request');
    const signature = createHmac('sha256', key).update(toSign).digest('hex');
    return {
      method: 'GET',
      path: '/',
      query: { ...QUERY },
      headers: { host: 'rtc.volcengineapi.com', 'x-date': stamp, authorization: `HMAC-SHA256 Credential=${KEY.accessKeyId}/${scope}, SignedHeaders=x-date, Signature=${signature}` },
      body: '',
    };
  }

  it('accepts a request signed like the official SDK does by default (SignedHeaders=x-date, no host), as the gateway does', () => {
    expect(checkSignature(sdkStyleRequest(), CFG)).toBeUndefined();
    expect(checkSignature(sdkStyleRequest('wrong'), CFG)?.code).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown access key and a wrong secret', () => {
    expect(checkSignature(signedRequest({ accessKeyId: 'AKLTother' }), CFG)?.code).toBe('InvalidAccessKey');
    expect(checkSignature(signedRequest({ secretAccessKey: 'wrong' }), CFG)?.code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a signature for another region or service', () => {
    expect(checkSignature(signedRequest({ region: 'ap-singapore-1' }), CFG)?.code).toBe('SignatureDoesNotMatch');
    expect(checkSignature(signedRequest({ service: 'iam' }), CFG)?.code).toBe('SignatureDoesNotMatch');
  });

  it('accepts X-Date up to 15 minutes off the simulator clock and no further', () => {
    const at = (offsetMs: number): RequestView => signedRequest({ date: new Date(NOW + offsetMs) });
    expect(checkSignature(at(15 * 60_000), CFG)).toBeUndefined();
    expect(checkSignature(at(-15 * 60_000), CFG)).toBeUndefined();
    expect(checkSignature(at(15 * 60_000 + 1000), CFG)?.code).toBe('InvalidTimestamp');
    expect(checkSignature(at(-16 * 60_000), CFG)?.code).toBe('InvalidTimestamp');
  });

  it('parses X-Date stamps', () => {
    expect(parseXDate('20240501T120000Z')).toBe(NOW);
    expect(parseXDate('2024-05-01T12:00:00Z')).toBeNaN();
  });
});

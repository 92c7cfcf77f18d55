import { canonicalQuery, rfc3986, sign, xDate } from '../../src/volc/signer';

describe('signer', () => {
  it('reproduces the published Volcengine vector (IAM ListUsers)', () => {
    const signed = sign({
      method: 'GET',
      host: 'iam.volcengineapi.com',
      query: { Action: 'ListUsers', Version: '2018-01-01', Limit: '10', Offset: '0' },
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      accessKeyId: 'AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE',
      secretAccessKey: 'TnpCak5XWXpZV1U0WkRaaE5ERmxaR0ZpTmpjeVkyUXlZek0wTWpJMU1qWQ==',
      region: 'cn-north-1',
      service: 'iam',
      date: new Date('2020-12-30T08:18:05Z'),
    });
    expect(signed.signedHeaders).toBe('content-type;host;x-content-sha256;x-date');
    expect(signed.signature).toBe('28eeabbbd726b87002e0fe58ad8c1c768e619b06e2646f35b6ad7ed029a6d8a7');
    expect(signed.headers['Authorization']).toBe(
      'HMAC-SHA256 Credential=AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE/20201230/cn-north-1/iam/request, ' +
        'SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=28eeabbbd726b87002e0fe58ad8c1c768e619b06e2646f35b6ad7ed029a6d8a7',
    );
    expect(signed.headers['X-Date']).toBe('20201230T081805Z');
    expect(signed.headers['X-Content-Sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it.each([
    ['abc-_.~XYZ09', 'abc-_.~XYZ09'],
    ['a b', 'a%20b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['房间/1+2', '%E6%88%BF%E9%97%B4%2F1%2B2'],
  ])('RFC 3986-encodes %p as %p', (input, expected) => {
    expect(rfc3986(input)).toBe(expected);
  });

  it('sorts query keys and encodes keys and values', () => {
    expect(canonicalQuery({ RoomId: 'r 1', AppId: 'a*', Action: 'X' })).toBe('Action=X&AppId=a%2A&RoomId=r%201');
  });

  it('formats X-Date in UTC without separators', () => {
    expect(xDate(new Date('2024-02-29T23:59:59.999Z'))).toBe('20240229T235959Z');
  });

  it('changes the signature when any signed input changes, and never includes the secret', () => {
    const base = {
      method: 'GET',
      host: 'rtc.volcengineapi.com',
      query: { Action: 'GetRoomOnlineUsers', Version: '2023-08-01', AppId: 'app', RoomId: 'room' },
      accessKeyId: 'AK',
      secretAccessKey: 'top-secret-value',
      region: 'cn-north-1',
      service: 'rtc',
      date: new Date('2026-01-01T00:00:00Z'),
    };
    const a = sign(base);
    expect(sign({ ...base, query: { ...base.query, RoomId: 'room2' } }).signature).not.toBe(a.signature);
    expect(sign({ ...base, secretAccessKey: 'other' }).signature).not.toBe(a.signature);
    expect(sign({ ...base, date: new Date('2026-01-01T00:00:01Z') }).signature).not.toBe(a.signature);
    expect(JSON.stringify(a)).not.toContain('top-secret-value');
  });
});

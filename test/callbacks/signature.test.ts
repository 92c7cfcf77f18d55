import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callbackSignature, SignedFields, verifyCallbackSignature } from '../../src/callbacks/signature';

// The vector in shared/ was computed by an independent script; it lives beside the repository.
const vectorPath = join(__dirname, '..', '..', '..', 'shared', 'callback-signature-vector.json');

function loadVector(): { secret: string; body: SignedFields; signature: string } | undefined {
  try {
    return JSON.parse(readFileSync(vectorPath, 'utf8')) as { secret: string; body: SignedFields; signature: string };
  } catch {
    return undefined;
  }
}

// A second, fixed copy of the same public vector, so the check runs wherever the shared folder is absent.
const FIXED = {
  secret: 'test_secret',
  body: {
    EventType: 'UserJoinRoom',
    EventData: '{"RoomId":"room1","UserId":"u1","DeviceType":"android","Timestamp":1718000000000,"ExtraInfo":"","UserExtraInfo":""}',
    EventTime: '2024-06-10T06:13:20Z',
    EventId: 'evt-0001',
    AppId: 'app123',
    Version: '2020-12-01',
    Nonce: '4821',
  },
  signature: '46e49456f598037086fd9b4ec8b8b9f82a6bf00f695a52e3bd9e8c0179c83889',
};

describe('callback signature', () => {
  it('matches the independently computed vector', () => {
    expect(callbackSignature(FIXED.body, FIXED.secret)).toBe(FIXED.signature);
    expect(verifyCallbackSignature(FIXED.body, FIXED.secret, FIXED.signature)).toBe(true);
  });

  it('matches the shared vector file when it is present', () => {
    const v = loadVector();
    if (!v) {
      process.stderr.write(`skipped: ${vectorPath} not found\n`);
      return;
    }
    expect(callbackSignature(v.body, v.secret)).toBe(v.signature);
  });

  it('accepts upper-case hex and refuses any change to a field, the secret or the length', () => {
    expect(verifyCallbackSignature(FIXED.body, FIXED.secret, FIXED.signature.toUpperCase())).toBe(true);
    for (const key of Object.keys(FIXED.body) as (keyof SignedFields)[]) {
      const changed = { ...FIXED.body, [key]: FIXED.body[key] + 'x' };
      expect(verifyCallbackSignature(changed, FIXED.secret, FIXED.signature)).toBe(false);
    }
    expect(verifyCallbackSignature(FIXED.body, 'other', FIXED.signature)).toBe(false);
    expect(verifyCallbackSignature(FIXED.body, FIXED.secret, FIXED.signature.slice(1))).toBe(false);
    expect(verifyCallbackSignature(FIXED.body, FIXED.secret, '')).toBe(false);
  });

  it('sorts by bytes, not by UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes starting 0xEF) sorts after U+1F600 (4 bytes starting 0xF0) in UTF-16 order
    // (0xFF5E > 0xD83D) but before it in byte order.
    const fields: SignedFields = { ...FIXED.body, AppId: '\u{1F600}', Nonce: '\uFF5E' };
    const values = [fields.EventType, fields.EventData, fields.EventTime, fields.EventId, fields.AppId, fields.Version, fields.Nonce, 's'];
    const byBytes = values.map((v) => Buffer.from(v)).sort(Buffer.compare);
    const expected = createHash('sha256').update(Buffer.concat(byBytes)).digest('hex');
    const byUnits = createHash('sha256').update([...values].sort().join('')).digest('hex');
    expect(expected).not.toBe(byUnits);
    expect(callbackSignature(fields, 's')).toBe(expected);
  });
});

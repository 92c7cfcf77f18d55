import { parseEnvelope } from '../../src/callbacks/envelope';

const base = {
  EventType: 'UserJoinRoom',
  EventData: '{"RoomId":"r","UserId":"u","Timestamp":1}',
  EventTime: '2024-06-10T06:13:20Z',
  EventId: 'e1',
  AppId: 'a',
  Version: '2020-12-01',
  Nonce: 'abcd',
  Signature: 'ff',
};

describe('callback envelope', () => {
  it('reads every field as sent, ignoring unknown ones', () => {
    const r = parseEnvelope(JSON.stringify({ ...base, Extra: 1 }));
    expect(r).toEqual({ ok: true, envelope: base });
  });

  it("takes BytePlus' Noce spelling", () => {
    const { Nonce, ...rest } = base;
    const r = parseEnvelope(JSON.stringify({ ...rest, Noce: Nonce }));
    expect(r.ok && r.envelope.Nonce).toBe('abcd');
  });

  it.each([
    ['not JSON', '{', 'body is not JSON'],
    ['an array', '[]', 'body is not a JSON object'],
    ['null', 'null', 'body is not a JSON object'],
    ['a missing field', JSON.stringify({ ...base, EventId: undefined }), 'EventId: missing or not a string'],
    ['a number field', JSON.stringify({ ...base, EventData: { RoomId: 'r' } }), 'EventData: missing or not a string'],
    ['no nonce', JSON.stringify({ ...base, Nonce: undefined }), 'Nonce: missing or not a string'],
    ['an empty EventId', JSON.stringify({ ...base, EventId: '' }), 'EventId: empty'],
  ])('refuses %s', (_name, body, reason) => {
    expect(parseEnvelope(body)).toEqual({ ok: false, reason });
  });
});

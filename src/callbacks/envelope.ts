import type { SignedFields } from './signature';

/**
 * The callback envelope: a JSON object whose fields are all strings. BytePlus spells the nonce `Noce`;
 * both are accepted. Pure: the body in, a typed envelope or the reason it is not one out. Unknown
 * top-level fields are ignored (the vendor may add some).
 */

export interface CallbackEnvelope extends SignedFields {
  Signature: string;
}

export type EnvelopeResult = { ok: true; envelope: CallbackEnvelope } | { ok: false; reason: string };

const REQUIRED = ['EventType', 'EventData', 'EventTime', 'EventId', 'AppId', 'Version', 'Signature'] as const;

export function parseEnvelope(body: string): EnvelopeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'body is not a JSON object' };
  const obj = parsed as Record<string, unknown>;
  for (const key of REQUIRED) {
    if (typeof obj[key] !== 'string') return { ok: false, reason: `${key}: missing or not a string` };
  }
  const nonce = typeof obj.Nonce === 'string' ? obj.Nonce : obj.Noce;
  if (typeof nonce !== 'string') return { ok: false, reason: 'Nonce: missing or not a string' };
  if ((obj.EventId as string).length === 0) return { ok: false, reason: 'EventId: empty' };
  return {
    ok: true,
    envelope: {
      EventType: obj.EventType as string,
      EventData: obj.EventData as string,
      EventTime: obj.EventTime as string,
      EventId: obj.EventId as string,
      AppId: obj.AppId as string,
      Version: obj.Version as string,
      Nonce: nonce,
      Signature: obj.Signature as string,
    },
  };
}

import { parseEnvelope } from './envelope';
import { MemberCallback, parseMemberCallback } from './member-callback';
import { verifyCallbackSignature } from './signature';

/**
 * What a received callback body is, before anything is stored: pure, from the body and the secrets. The
 * order of the checks is the order of trust: the envelope, then the signature (so nothing unsigned is
 * ever read further), then what the event says. Only a verified, well-formed member event goes on to the
 * store; an unknown EventType is answered 200 (counted, ignored) or the vendor would retry it forever.
 */

/** `rtc_callbacks_received_total{result}`. */
export type CallbackResult = 'accepted' | 'duplicate' | 'stale' | 'ignored' | 'bad_signature' | 'malformed' | 'too_large';

export interface VerifiedCallback {
  /** The vendor's unique id of the event: repeats of it are dropped. */
  eventId: string;
  appId: string;
  eventType: string;
  callback: MemberCallback;
}

export type CheckOutcome =
  | { kind: 'refused'; status: 400 | 401; result: 'malformed' | 'bad_signature'; eventType: string; reason: string }
  | { kind: 'ignored'; eventType: string }
  | { kind: 'verified'; verified: VerifiedCallback };

/** Label value for an EventType we cannot trust or do not know: keeps the label's cardinality bounded. */
export const OTHER_EVENT_TYPE = 'other';

export function checkCallback(body: string, secretFor: (appId: string) => string | undefined, knownType: (type: string) => boolean): CheckOutcome {
  const parsed = parseEnvelope(body);
  if (!parsed.ok) return { kind: 'refused', status: 400, result: 'malformed', eventType: OTHER_EVENT_TYPE, reason: parsed.reason };
  const env = parsed.envelope;
  // Unverified input never reaches a label as it is: an attacker could otherwise mint series.
  const typeLabel = knownType(env.EventType) ? env.EventType : OTHER_EVENT_TYPE;
  const secret = secretFor(env.AppId);
  if (secret === undefined) return { kind: 'refused', status: 401, result: 'bad_signature', eventType: typeLabel, reason: 'no callback secret for this AppId' };
  if (!verifyCallbackSignature(env, secret, env.Signature)) return { kind: 'refused', status: 401, result: 'bad_signature', eventType: typeLabel, reason: 'signature mismatch' };
  const member = parseMemberCallback(env.EventType, env.EventData);
  if (!member.ok && member.reason === 'unknown_type') return { kind: 'ignored', eventType: OTHER_EVENT_TYPE };
  if (!member.ok) return { kind: 'refused', status: 400, result: 'malformed', eventType: typeLabel, reason: member.detail };
  return { kind: 'verified', verified: { eventId: env.EventId, appId: env.AppId, eventType: env.EventType, callback: member.callback } };
}

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The vendor's callback signature (Volcengine RTC and BytePlus RTC message notifications): lower-case hex
 * SHA-256 — plain, not HMAC — over the values of EventType, EventData, EventTime, EventId, AppId, Version,
 * Nonce and the callback secret, sorted by byte order and joined with no separator. Pure; written on
 * node:crypto because it is one hash over a sorted list, and the vendor SDKs carry no verifier we could use.
 */

/** The signed fields of a callback, as received (EventData exactly as sent, never re-serialised). */
export interface SignedFields {
  EventType: string;
  EventData: string;
  EventTime: string;
  EventId: string;
  AppId: string;
  Version: string;
  Nonce: string;
}

/** Byte order of the UTF-8 encodings (JavaScript's default sort compares UTF-16 code units instead). */
function byteOrder(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

export function callbackSignature(fields: SignedFields, secret: string): string {
  const parts = [fields.EventType, fields.EventData, fields.EventTime, fields.EventId, fields.AppId, fields.Version, fields.Nonce, secret].map((v) =>
    Buffer.from(v, 'utf8'),
  );
  parts.sort(byteOrder);
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
}

/** Constant-time check of a received signature (any case of hex digits is accepted). */
export function verifyCallbackSignature(fields: SignedFields, secret: string, signature: string): boolean {
  const expected = Buffer.from(callbackSignature(fields, secret), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  // timingSafeEqual needs equal lengths; a wrong length says nothing about the secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

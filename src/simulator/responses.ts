import { API_ERRORS, ApiErrorCode } from './api-errors';
import { RoomSnapshot } from './world';

/** Vendor-shaped response bodies. Pure. */

export interface ResponseMetadata {
  RequestId: string;
  Action: string;
  Version: string;
  Service: string;
  Region: string;
  Error?: { Code: string; CodeN: number; Message: string };
}

export interface RoomResult {
  RoomExists?: boolean;
  /** BytePlus' spelling. */
  RoomExist?: boolean;
  TotalUser?: number;
  TotalInvisibleUser?: number;
  VisibleUserList?: string[];
  InvisibleUserList?: string[];
}

export function errorMetadata(meta: ResponseMetadata, code: ApiErrorCode, message: string): ResponseMetadata {
  return { ...meta, Error: { Code: code, CodeN: API_ERRORS[code].codeN, Message: message } };
}

/** A room that does not exist is a normal answer: just `RoomExists: false`, no counts or lists. */
export function roomResult(snapshot: RoomSnapshot, existField: 'RoomExists' | 'RoomExist' = 'RoomExists'): RoomResult {
  if (!snapshot.exists) return { [existField]: false };
  return {
    [existField]: true,
    TotalUser: snapshot.visibleCount + snapshot.invisibleCount,
    TotalInvisibleUser: snapshot.invisibleCount,
    VisibleUserList: snapshot.visible,
    InvisibleUserList: snapshot.invisible,
  };
}

/** Same shape as a success, cut in half: a prefix of a JSON object never parses. */
export function truncatedJson(meta: ResponseMetadata): string {
  const whole = JSON.stringify({ ResponseMetadata: meta, Result: { RoomExists: true, TotalUser: 0 } });
  return whole.slice(0, Math.floor(whole.length / 2));
}

/** `YYYYMMDDHHMMSS` + a per-process sequence, loosely like the vendor's ids and unique per simulator. */
export function requestId(nowMs: number, seq: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}${seq.toString(16).toUpperCase().padStart(8, '0')}`;
}

import type { Visibility } from '../rooms/membership-diff';

/**
 * What a room callback says about membership, from its EventType and EventData. Pure. The vendor's
 * EventData is itself a JSON string; of it only RoomId, UserId and Timestamp (milliseconds) are read,
 * unknown fields are ignored.
 */

/** The EventTypes this daemon turns into member changes. */
export const MEMBER_EVENT_TYPES = [
  'UserJoinRoom',
  'UserLeaveRoom',
  'InvisibleUserJoinRoom',
  'InvisibleUserLeaveRoom',
  'RoleChangeInvisible2Visible',
  'RoleChangeVisible2Invisible',
  'RoomDestroy',
] as const;
export type MemberEventType = (typeof MEMBER_EVENT_TYPES)[number];

/** A member is in the room with this visibility (joins and role changes), or not in it (leaves). */
export type MemberCallback =
  | { kind: 'member'; roomId: string; userId: string; present: true; visibility: Visibility; timestampMs: number }
  | { kind: 'member'; roomId: string; userId: string; present: false; timestampMs: number }
  | { kind: 'destroy'; roomId: string; timestampMs: number };

export type MemberCallbackResult = { ok: true; callback: MemberCallback } | { ok: false; reason: 'unknown_type' | 'malformed'; detail: string };

const KNOWN = new Set<string>(MEMBER_EVENT_TYPES);

export function isMemberEventType(type: string): type is MemberEventType {
  return KNOWN.has(type);
}

function field(data: Record<string, unknown>, name: string): string | undefined {
  const v = data[name];
  // RoomId and UserId are strings in the vendor's docs; a number is taken as its decimal text.
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

export function parseMemberCallback(eventType: string, eventData: string): MemberCallbackResult {
  if (!isMemberEventType(eventType)) return { ok: false, reason: 'unknown_type', detail: eventType };
  let data: unknown;
  try {
    data = JSON.parse(eventData);
  } catch {
    return { ok: false, reason: 'malformed', detail: 'EventData is not JSON' };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, reason: 'malformed', detail: 'EventData is not an object' };
  const d = data as Record<string, unknown>;
  const roomId = field(d, 'RoomId');
  if (!roomId) return { ok: false, reason: 'malformed', detail: 'EventData.RoomId missing' };
  const ts = typeof d.Timestamp === 'string' && /^\d+$/.test(d.Timestamp) ? Number(d.Timestamp) : d.Timestamp;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) return { ok: false, reason: 'malformed', detail: 'EventData.Timestamp missing or not milliseconds' };
  if (eventType === 'RoomDestroy') return { ok: true, callback: { kind: 'destroy', roomId, timestampMs: ts } };
  const userId = field(d, 'UserId');
  if (!userId) return { ok: false, reason: 'malformed', detail: 'EventData.UserId missing' };
  switch (eventType) {
    case 'UserJoinRoom':
    case 'RoleChangeInvisible2Visible':
      return { ok: true, callback: { kind: 'member', roomId, userId, present: true, visibility: 'visible', timestampMs: ts } };
    case 'InvisibleUserJoinRoom':
    case 'RoleChangeVisible2Invisible':
      return { ok: true, callback: { kind: 'member', roomId, userId, present: true, visibility: 'invisible', timestampMs: ts } };
    default:
      return { ok: true, callback: { kind: 'member', roomId, userId, present: false, timestampMs: ts } };
  }
}

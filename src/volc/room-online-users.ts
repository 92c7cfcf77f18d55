import { parseEnvelope } from './envelope';
import { TransportError } from './errors';

/** One successful GetRoomOnlineUsers answer, normalised. */
export interface RoomSnapshot {
  exists: boolean;
  totalUsers: number;
  totalInvisibleUsers: number;
  visible: string[];
  invisible: string[];
}

export const ACTION = 'GetRoomOnlineUsers';

function stringList(v: unknown, field: string, expected: number): string[] {
  if (v === undefined || v === null) {
    // A missing list is only "nobody" when the count agrees; otherwise a partial body would read as a
    // mass leave.
    if (expected === 0) return [];
    throw new TransportError('MalformedResponse', `Result.${field} is missing although the count is ${expected}`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new TransportError('MalformedResponse', `Result.${field} is not a list of strings`);
  }
  return v as string[];
}

function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TransportError('MalformedResponse', `Result.${field} is missing or not a non-negative integer`);
  }
  return v;
}

/**
 * Turn a response (status + raw text) into a snapshot, or throw the ApiError that explains it. Pure.
 */
export function parseRoomOnlineUsers(status: number, body: string): RoomSnapshot {
  const result = parseEnvelope(status, body);

  // Volcengine spells it RoomExists; the BytePlus docs spell it RoomExist.
  const exists = result.RoomExists ?? result.RoomExist;
  if (typeof exists !== 'boolean') {
    throw new TransportError('MalformedResponse', 'Result.RoomExists is missing or not a boolean', status);
  }
  if (!exists) return { exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] };

  const totalUsers = count(result.TotalUser, 'TotalUser');
  const totalInvisibleUsers = count(result.TotalInvisibleUser, 'TotalInvisibleUser');
  const visible = stringList(result.VisibleUserList, 'VisibleUserList', Math.max(0, totalUsers - totalInvisibleUsers));
  const invisible = stringList(result.InvisibleUserList, 'InvisibleUserList', totalInvisibleUsers);
  return { exists: true, totalUsers, totalInvisibleUsers, visible, invisible };
}

import type { ChangeType, Visibility } from './membership-diff';
import type { ChangeSource } from './change-order';

/** One line of the event stream (file, log, webhook). Field names are part of the public contract. */
export interface RoomEvent {
  /** Unique, strictly increasing per store; assigned when the event is committed to the log. */
  id: number;
  /** ISO-8601 time of the poll that saw the change. */
  time: string;
  type: ChangeType;
  appId: string;
  roomId: string;
  userId: string;
  visibility: Visibility;
  /**
   * What saw the change: a poll of GetRoomOnlineUsers, or a vendor callback. The daemon always sets it;
   * optional in the type because events committed before this field existed carry none in older files.
   */
  source?: ChangeSource;
}

export function roomKey(appId: string, roomId: string): string {
  // An encoding, not a separator: no pair of strings, whatever characters they hold, shares a key with another.
  return JSON.stringify([appId, roomId]);
}

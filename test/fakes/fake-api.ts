import type { RoomRef, RoomUsersApi, SendGate } from '../../src/volc/client';
import type { RoomSnapshot } from '../../src/volc/room-online-users';

export type Scripted = RoomSnapshot | Error;

/** Answers each room from a script, in order; the last entry repeats. Records every call. */
export class FakeApi implements RoomUsersApi {
  readonly calls: RoomRef[] = [];
  private readonly scripts = new Map<string, Scripted[]>();

  script(roomId: string, ...answers: Scripted[]): this {
    this.scripts.set(roomId, answers);
    return this;
  }

  /** As the real client: the permit's start is confirmed first (it may wait again), then the request counts. */
  async getRoomOnlineUsers(room: RoomRef, _signal?: AbortSignal, start?: SendGate): Promise<RoomSnapshot> {
    await start?.start();
    while (start?.holds && !start.holds()) await start.start();
    this.calls.push(room);
    const list = this.scripts.get(room.roomId);
    if (!list || list.length === 0) throw new Error(`no script for ${room.roomId}`);
    const next = list.length > 1 ? list.shift()! : list[0]!;
    if (next instanceof Error) throw next;
    return next;
  }
}

export function snapshot(visible: string[], invisible: string[] = []): RoomSnapshot {
  return { exists: true, totalUsers: visible.length + invisible.length, totalInvisibleUsers: invisible.length, visible, invisible };
}

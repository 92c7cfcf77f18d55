import type { ChurnSpec } from './churn';
import type { World } from './world';

/**
 * Calls that start and end over time, as ListRoomInfo lists them. A room with a call running exists in
 * the world (GetRoomOnlineUsers answers RoomExists true, with members); once its call ends it is closed.
 * Pure apart from the times it is given; `sync` applies the starts and ends due to the world.
 */

export interface SimCallSpec {
  appId: string;
  roomId: string;
  startMs: number;
  /** undefined: still running. */
  endMs?: number;
  /** Members when the call starts; default 2. */
  visible?: number;
  churn?: ChurnSpec;
}

export interface SimCall extends SimCallSpec {
  callId: string;
}

interface Change {
  at: number;
  kind: 'start' | 'end';
  call: SimCall;
}

export class CallTimeline {
  private readonly calls: SimCall[] = [];
  private changes: Change[] = [];
  private applied = 0;
  private seq = 0;

  constructor(calls: readonly SimCallSpec[] = []) {
    for (const c of calls) this.add(c);
  }

  add(spec: SimCallSpec): SimCall {
    if (spec.endMs !== undefined && spec.endMs < spec.startMs) throw new RangeError('call endMs must be >= startMs');
    const call: SimCall = { ...spec, callId: `call-${(++this.seq).toString().padStart(6, '0')}` };
    this.calls.push(call);
    // Changes already applied stay; new ones are inserted in time order among the pending ones.
    const pending = this.changes.slice(this.applied);
    pending.push({ at: call.startMs, kind: 'start', call });
    if (call.endMs !== undefined) pending.push({ at: call.endMs, kind: 'end', call });
    pending.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'end' ? -1 : 1));
    this.changes = this.changes.slice(0, this.applied).concat(pending);
    return call;
  }

  all(): readonly SimCall[] {
    return this.calls;
  }

  /** Applies every start and end due by `nowMs` to the world, in time order. */
  sync(world: World, nowMs: number): void {
    while (this.applied < this.changes.length && this.changes[this.applied]!.at <= nowMs) {
      const { kind, call } = this.changes[this.applied++]!;
      if (kind === 'start') {
        // A room the world already has keeps its members and churn (a call in a fixed demo room); a
        // closed one reopens.
        if (world.has(call.appId, call.roomId)) world.openRoom(call.appId, call.roomId);
        else world.addRoom({ appId: call.appId, roomId: call.roomId, visible: call.visible ?? 2, churn: call.churn ?? { paused: true } });
      } else if (!this.runningAt(call.appId, call.roomId, call.endMs!, call)) {
        world.closeRoom(call.appId, call.roomId);
      }
    }
  }

  /**
   * The calls of `appId` created in [startMs, endMs] that the list shows at `asOfMs`: a call appears
   * `delayMs` after it starts, and its end shows `delayMs` after it ends. Sorted by creation time.
   */
  list(appId: string, startMs: number, endMs: number, asOfMs: number, delayMs: number, roomId?: string): { call: SimCall; finished: boolean }[] {
    const visibleUntil = asOfMs - delayMs;
    return this.calls
      .filter((c) => c.appId === appId && c.startMs >= startMs && c.startMs <= endMs && c.startMs <= visibleUntil && (roomId === undefined || c.roomId === roomId))
      .sort((a, b) => a.startMs - b.startMs || a.callId.localeCompare(b.callId))
      .map((call) => ({ call, finished: call.endMs !== undefined && call.endMs <= visibleUntil }));
  }

  /** Another call of the room still running at `atMs` (a room reused while an older call overlaps). */
  private runningAt(appId: string, roomId: string, atMs: number, except: SimCall): boolean {
    return this.calls.some((c) => c !== except && c.appId === appId && c.roomId === roomId && c.startMs <= atMs && (c.endMs === undefined || c.endMs > atMs));
  }
}

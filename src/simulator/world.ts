import { ChurnEvent, ChurnRates, ChurnSpec, EventRates, NO_CHURN, eventRates, mergeChurn } from './churn';
import { MemberSet } from './member-set';
import { Rng, createRng, hashSeed } from './rng';

/**
 * The simulated rooms and their members. Pure apart from the injected clock: no I/O, no timers.
 *
 * Churn is applied lazily: a room replays the events due since it was last touched only when someone
 * looks at it or changes it, so an idle world of 10,000 rooms costs no CPU. Each room draws from its own
 * RNG (seeded from the world seed and the room key), and event times do not depend on when the room
 * is looked at, so the state at time t is the same whatever the access pattern.
 */

export type Visibility = 'visible' | 'invisible';

export interface SimRoomSpec {
  appId: string;
  roomId: string;
  /** Default true. */
  exists?: boolean;
  /** Initial number of visible members. */
  visible?: number;
  /** Initial number of invisible members. */
  invisible?: number;
  /** Overrides of the world's default churn for this room. */
  churn?: ChurnSpec;
}

/**
 * One change of the world as the vendor would announce it in a callback: a member joining, leaving or
 * changing visibility, or a room closing (`destroy`). `atMs` is when it happened in the world's time.
 */
export type WorldChange =
  | { kind: 'join' | 'leave' | 'visibility'; appId: string; roomId: string; userId: string; visibility: Visibility; atMs: number }
  | { kind: 'destroy'; appId: string; roomId: string; atMs: number };

export interface WorldOptions {
  now: () => number;
  /** Told of every change as it is applied (churn is replayed lazily: call tick() to keep it current). */
  onChange?: (change: WorldChange) => void;
  seed?: number;
  rooms?: SimRoomSpec[];
  /** Churn of rooms that do not set their own; default none (a static world). */
  defaultChurn?: ChurnSpec;
}

export interface RoomSnapshot {
  appId: string;
  roomId: string;
  exists: boolean;
  visible: string[];
  /** At most the requested number of ids; `invisibleCount` is the true count. */
  invisible: string[];
  visibleCount: number;
  invisibleCount: number;
}

/** A replay that would take longer than this many events skips ahead instead (a room left alone for days). */
const MAX_EVENTS_PER_ADVANCE = 200_000;

interface Room {
  appId: string;
  roomId: string;
  exists: boolean;
  visible: MemberSet;
  invisible: MemberSet;
  /** Last number used for a generated id; ids are never reused. */
  seq: number;
  ownChurn: ChurnSpec;
  churn: ChurnRates;
  rates: { open: EventRates; closed: EventRates };
  rng: Rng;
  /** The room's state is current up to this time. */
  clockMs: number;
  nextEventAt: number;
}

function roomKey(appId: string, roomId: string): string {
  return JSON.stringify([appId, roomId]);
}

export class World {
  private readonly rooms = new Map<string, Room>();
  private readonly now: () => number;
  private readonly seed: number;
  private readonly onChange?: (change: WorldChange) => void;
  private defaultChurn: ChurnRates;

  constructor(opts: WorldOptions) {
    this.now = opts.now;
    this.seed = opts.seed ?? 1;
    this.onChange = opts.onChange;
    this.defaultChurn = mergeChurn(NO_CHURN, opts.defaultChurn ?? {});
    for (const spec of opts.rooms ?? []) this.addRoom(spec);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  roomKeys(): { appId: string; roomId: string }[] {
    return [...this.rooms.values()].map((r) => ({ appId: r.appId, roomId: r.roomId }));
  }

  has(appId: string, roomId: string): boolean {
    return this.rooms.has(roomKey(appId, roomId));
  }

  /**
   * Brings every room up to now, so each change is announced (onChange) close to when it happens rather
   * than when someone next looks at the room. Rooms with nothing due cost one comparison.
   */
  tick(): void {
    const now = this.now();
    for (const room of this.rooms.values()) if (room.nextEventAt <= now) this.advance(room, now);
  }

  /** Adds (or replaces) a room with `visible` + `invisible` generated members. */
  addRoom(spec: SimRoomSpec): void {
    const ownChurn = { ...spec.churn };
    const churn = mergeChurn(this.defaultChurn, ownChurn);
    const room: Room = {
      appId: spec.appId,
      roomId: spec.roomId,
      exists: spec.exists ?? true,
      visible: new MemberSet(),
      invisible: new MemberSet(),
      seq: 0,
      ownChurn,
      churn,
      rates: { open: eventRates(churn, true), closed: eventRates(churn, false) },
      rng: createRng(hashSeed(this.seed, spec.appId, spec.roomId)),
      clockMs: this.now(),
      nextEventAt: Infinity,
    };
    if (room.exists) {
      for (let i = 0; i < (spec.visible ?? 0); i++) room.visible.add(this.newId(room));
      for (let i = 0; i < (spec.invisible ?? 0); i++) room.invisible.add(this.newId(room));
    }
    this.scheduleNext(room);
    this.rooms.set(roomKey(spec.appId, spec.roomId), room);
  }

  /** Current state; unknown rooms read as not existing. */
  snapshot(appId: string, roomId: string, maxInvisible = Infinity): RoomSnapshot {
    const room = this.current(appId, roomId);
    if (!room) {
      return { appId, roomId, exists: false, visible: [], invisible: [], visibleCount: 0, invisibleCount: 0 };
    }
    return {
      appId,
      roomId,
      exists: room.exists,
      visible: room.visible.list(),
      invisible: room.invisible.list(maxInvisible),
      visibleCount: room.visible.size,
      invisibleCount: room.invisible.size,
    };
  }

  /** Puts `userId` in the room with the given visibility (moving it if present). Creates unknown rooms. */
  addMember(appId: string, roomId: string, userId: string, visibility: Visibility): void {
    let room = this.current(appId, roomId);
    if (!room) {
      this.addRoom({ appId, roomId });
      room = this.current(appId, roomId) as Room;
    }
    if (!room.exists) throw new Error(`room ${appId}/${roomId} is closed; openRoom first`);
    this.place(room, userId, visibility);
  }

  removeMember(appId: string, roomId: string, userId: string): boolean {
    const room = this.current(appId, roomId);
    if (!room) return false;
    const visibility: Visibility | undefined = room.visible.delete(userId) ? 'visible' : room.invisible.delete(userId) ? 'invisible' : undefined;
    if (visibility) this.onChange?.({ kind: 'leave', appId, roomId, userId, visibility, atMs: room.clockMs });
    return visibility !== undefined;
  }

  /** Returns false when the user is not in the room. */
  setVisibility(appId: string, roomId: string, userId: string, visibility: Visibility): boolean {
    const room = this.current(appId, roomId);
    if (!room || !(room.visible.has(userId) || room.invisible.has(userId))) return false;
    this.place(room, userId, visibility);
    return true;
  }

  closeRoom(appId: string, roomId: string): void {
    const room = this.current(appId, roomId);
    if (!room || !room.exists) return;
    this.close(room);
    this.scheduleNext(room);
  }

  /** Reopens a closed room empty (or creates an unknown one); an open room is left alone. */
  openRoom(appId: string, roomId: string): void {
    const room = this.current(appId, roomId);
    if (!room) return this.addRoom({ appId, roomId });
    if (room.exists) return;
    room.exists = true;
    this.scheduleNext(room);
  }

  /**
   * Changes churn for one room (when both ids are given) or the default of every room. Rooms are first
   * brought up to now under the old rates, so the change takes effect from this moment.
   */
  setChurn(update: ChurnSpec, appId?: string, roomId?: string): void {
    if (appId !== undefined && roomId !== undefined) {
      const room = this.current(appId, roomId);
      if (!room) throw new Error(`unknown room ${appId}/${roomId}`);
      const ownChurn = { ...room.ownChurn, ...update };
      this.applyChurn(room, ownChurn, mergeChurn(this.defaultChurn, ownChurn));
      return;
    }
    const nextDefault = mergeChurn(this.defaultChurn, update);
    const now = this.now();
    for (const room of this.rooms.values()) this.advance(room, now);
    this.defaultChurn = nextDefault;
    for (const room of this.rooms.values()) {
      this.applyChurn(room, room.ownChurn, mergeChurn(nextDefault, room.ownChurn));
    }
  }

  churnOf(appId: string, roomId: string): ChurnRates | undefined {
    const room = this.rooms.get(roomKey(appId, roomId));
    return room ? { ...room.churn } : undefined;
  }

  private applyChurn(room: Room, ownChurn: ChurnSpec, churn: ChurnRates): void {
    room.ownChurn = ownChurn;
    room.churn = churn;
    room.rates = { open: eventRates(churn, true), closed: eventRates(churn, false) };
    // Poisson waits are memoryless, so redrawing from now under the new rates is exact.
    this.scheduleNext(room);
  }

  /** The room brought up to the current time, or undefined. */
  private current(appId: string, roomId: string): Room | undefined {
    const room = this.rooms.get(roomKey(appId, roomId));
    if (room) this.advance(room, this.now());
    return room;
  }

  private advance(room: Room, to: number): void {
    let events = 0;
    while (room.nextEventAt <= to) {
      if (++events > MAX_EVENTS_PER_ADVANCE) {
        room.clockMs = to;
        this.scheduleNext(room);
        return;
      }
      room.clockMs = room.nextEventAt;
      this.applyEvent(room);
      this.scheduleNext(room);
    }
    if (to > room.clockMs) room.clockMs = to;
  }

  private scheduleNext(room: Room): void {
    const rates = room.exists ? room.rates.open : room.rates.closed;
    room.nextEventAt = room.clockMs + room.rng.exponentialMs(rates.total);
  }

  private applyEvent(room: Room): void {
    const rates = room.exists ? room.rates.open : room.rates.closed;
    let pick = room.rng.next() * rates.total;
    let kind: ChurnEvent | undefined;
    for (const [event, rate] of rates.events) {
      kind = event;
      if (pick < rate) break;
      pick -= rate;
    }
    const members = room.visible.size + room.invisible.size;
    switch (kind) {
      case 'join': {
        const invisible = room.rng.next() < room.churn.invisibleJoinRatio;
        this.place(room, this.newId(room), invisible ? 'invisible' : 'visible');
        break;
      }
      case 'leave':
        if (members > 0) {
          const id = this.memberAt(room, room.rng.int(members));
          const visibility: Visibility = room.visible.delete(id) ? 'visible' : 'invisible';
          if (visibility === 'invisible') room.invisible.delete(id);
          this.onChange?.({ kind: 'leave', appId: room.appId, roomId: room.roomId, userId: id, visibility, atMs: room.clockMs });
        }
        break;
      case 'visibility':
        if (members > 0) {
          const id = this.memberAt(room, room.rng.int(members));
          this.place(room, id, room.visible.has(id) ? 'invisible' : 'visible');
        }
        break;
      case 'close':
        this.close(room);
        break;
      case 'reopen':
        room.exists = true;
        break;
      default:
        break;
    }
  }

  private memberAt(room: Room, i: number): string {
    return i < room.visible.size ? room.visible.at(i) : room.invisible.at(i - room.visible.size);
  }

  private place(room: Room, userId: string, visibility: Visibility): void {
    const [into, from] = visibility === 'visible' ? [room.visible, room.invisible] : [room.invisible, room.visible];
    if (into.has(userId)) return;
    const moved = from.delete(userId);
    into.add(userId);
    this.onChange?.({ kind: moved ? 'visibility' : 'join', appId: room.appId, roomId: room.roomId, userId, visibility, atMs: room.clockMs });
  }

  private close(room: Room): void {
    if (room.exists) this.onChange?.({ kind: 'destroy', appId: room.appId, roomId: room.roomId, atMs: room.clockMs });
    room.exists = false;
    room.visible.clear();
    room.invisible.clear();
  }

  /** `u_<room>_<n>`; skips ids a test put in by hand so generated ids stay unique. */
  private newId(room: Room): string {
    let id: string;
    do id = `u_${room.roomId}_${++room.seq}`;
    while (room.visible.has(id) || room.invisible.has(id));
    return id;
  }
}

import { callbackSignature } from '../callbacks/signature';
import type { Rng } from './rng';
import type { WorldChange } from './world';

/**
 * The simulator's side of the vendor's room callbacks: every change of the world becomes a signed POST to
 * the configured URL, as the vendor sends them: at most three tries, no promise of order or uniqueness.
 * Delay, loss (all three tries fail), duplicates and reordering are drawn from a seeded RNG so a test or a
 * benchmark replays the same deliveries.
 */

export interface CallbackPushSettings {
  url: string;
  secret: string;
  /** Each callback leaves after a delay drawn uniformly from [delayMinMs, delayMaxMs]. */
  delayMinMs: number;
  delayMaxMs: number;
  /** Share of changes whose callback never arrives (all three tries fail). */
  lossProbability: number;
  /** Share of callbacks sent twice (the second copy after another delay). */
  duplicateProbability: number;
  /** Share of callbacks held back by `reorderDelayMs` more, so later changes overtake them. */
  reorderProbability: number;
  reorderDelayMs: number;
}

export const DEFAULT_CALLBACK_PUSH: Omit<CallbackPushSettings, 'url' | 'secret'> = {
  delayMinMs: 0,
  delayMaxMs: 0,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMs: 1000,
};

export interface CallbackPushStats {
  /** Changes the world announced. */
  changes: number;
  /** Changes whose callback was dropped on purpose (loss). */
  lost: number;
  duplicated: number;
  reordered: number;
  /** POSTs answered 200. */
  delivered: number;
  /** Tries that failed (not 200, or no answer). */
  failedTries: number;
  /** Callbacks given up after three failed tries. */
  givenUp: number;
}

/** How one POST goes: resolves with the HTTP status, or rejects on a transport error. */
export type PostFn = (url: string, body: string) => Promise<number>;

export interface PusherDeps {
  rng: Rng;
  post: PostFn;
  /** Schedules `fn` after `ms` (setTimeout in the simulator, a fake in tests). */
  later(ms: number, fn: () => void): void;
  appNonce?: () => string;
}

const TRIES = 3;
/** The vendor retries a failed callback after a pause; its exact spacing is not published. */
const RETRY_PAUSE_MS = 1000;

const EVENT_TYPES: Record<WorldChange['kind'], [visible: string, invisible: string]> = {
  join: ['UserJoinRoom', 'InvisibleUserJoinRoom'],
  leave: ['UserLeaveRoom', 'InvisibleUserLeaveRoom'],
  visibility: ['RoleChangeInvisible2Visible', 'RoleChangeVisible2Invisible'],
  destroy: ['RoomDestroy', 'RoomDestroy'],
};

/** The vendor's envelope for one change, signed with `secret`. */
export function callbackBody(change: WorldChange, eventId: string, nonce: string, secret: string): string {
  const type = EVENT_TYPES[change.kind][change.kind !== 'destroy' && change.visibility === 'invisible' ? 1 : 0];
  const data: Record<string, unknown> = { RoomId: change.roomId, Timestamp: Math.round(change.atMs) };
  if (change.kind !== 'destroy') data.UserId = change.userId;
  if (change.kind === 'leave') Object.assign(data, { Reason: 'user_leave', Duration: 0 });
  const fields = {
    EventType: type,
    EventData: JSON.stringify(data),
    EventTime: new Date(Math.round(change.atMs)).toISOString(),
    EventId: eventId,
    AppId: change.appId,
    Version: '2020-12-01',
    Nonce: nonce,
  };
  return JSON.stringify({ ...fields, Signature: callbackSignature(fields, secret) });
}

export class CallbackPusher {
  private seq = 0;
  private readonly counts: CallbackPushStats = { changes: 0, lost: 0, duplicated: 0, reordered: 0, delivered: 0, failedTries: 0, givenUp: 0 };
  private stopped = false;

  constructor(
    private settings: CallbackPushSettings,
    private readonly deps: PusherDeps,
  ) {}

  update(next: Partial<Omit<CallbackPushSettings, 'url' | 'secret'>>): CallbackPushSettings {
    this.settings = { ...this.settings, ...next };
    return { ...this.settings, secret: '(set)' };
  }

  retarget(url: string): void {
    this.settings = { ...this.settings, url };
  }

  stats(): CallbackPushStats {
    return { ...this.counts };
  }

  stop(): void {
    this.stopped = true;
  }

  /** Announce one change of the world. */
  push(change: WorldChange): void {
    const s = this.settings;
    const { rng } = this.deps;
    this.counts.changes++;
    const eventId = `sim-${++this.seq}`;
    if (rng.next() < s.lossProbability) {
      this.counts.lost++;
      return;
    }
    const body = callbackBody(change, eventId, this.deps.appNonce?.() ?? String(1000 + rng.int(9000)), s.secret);
    let delay = s.delayMinMs + rng.next() * Math.max(0, s.delayMaxMs - s.delayMinMs);
    if (rng.next() < s.reorderProbability) {
      this.counts.reordered++;
      delay += s.reorderDelayMs;
    }
    this.deps.later(delay, () => this.send(body, 1));
    if (rng.next() < s.duplicateProbability) {
      this.counts.duplicated++;
      const again = delay + s.delayMinMs + rng.next() * Math.max(1, s.delayMaxMs - s.delayMinMs);
      this.deps.later(again, () => this.send(body, 1));
    }
  }

  private send(body: string, attempt: number): void {
    if (this.stopped) return;
    const failed = (): void => {
      this.counts.failedTries++;
      if (attempt >= TRIES) this.counts.givenUp++;
      else this.deps.later(RETRY_PAUSE_MS, () => this.send(body, attempt + 1));
    };
    this.deps.post(this.settings.url, body).then(
      (status) => (status === 200 ? void this.counts.delivered++ : failed()),
      failed,
    );
  }
}

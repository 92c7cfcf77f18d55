import { CallbackCommitter, CallbackIntakeQueue, NotLeaderError } from '../../src/callbacks/callback-intake';
import type { VerifiedCallback } from '../../src/callbacks/callback-check';
import type { RoomEvent } from '../../src/rooms/room-event';
import { memoryLogger, RecordingSink } from '../fakes/recorders';

const cb = (eventId: string, roomId = 'r1', userId = 'u1'): VerifiedCallback => ({ eventId, appId: 'app', eventType: 'UserJoinRoom', callback: { kind: 'member', roomId, userId, present: true, visibility: 'visible', timestampMs: 1 } });

class SlowStore implements CallbackCommitter {
  readonly batches: { roomId: string; ids: string[] }[] = [];
  fail = false;
  private release?: () => void;
  hold = false;
  async applyCallbackBatch(batch: readonly { ref: { appId: string; roomId: string }; items: readonly { eventId: string }[] }[]): Promise<{ events: RoomEvent[]; results: ('accepted' | 'stale')[] }[]> {
    for (const { ref, items } of batch) this.batches.push({ roomId: ref.roomId, ids: items.map((i) => i.eventId) });
    if (this.hold) await new Promise<void>((r) => (this.release = r));
    if (this.fail) throw new Error('disk full');
    return batch.map(({ ref, items }) => ({ events: items.map((i, n) => ({ id: n + 1, time: 't', type: 'join' as const, appId: ref.appId, roomId: ref.roomId, userId: i.eventId, visibility: 'visible' as const, source: 'callback' as const })), results: items.map(() => 'accepted' as const) }));
  }
  releaseNow(): void {
    this.hold = false;
    this.release?.();
  }
}

function setup() {
  const store = new SlowStore();
  const sink = new RecordingSink();
  const confirmed: string[] = [];
  const ensured: string[] = [];
  let leader = true;
  const intake = new CallbackIntakeQueue({
    store,
    ensureRoom: (appId, roomId) => (ensured.push(roomId), roomId !== 'refused'),
    confirm: (_a, roomId) => confirmed.push(roomId),
    mayApply: () => leader,
    sink,
    now: () => 1000,
    logger: memoryLogger().logger,
  });
  return { store, sink, confirmed, ensured, intake, setLeader: (v: boolean) => (leader = v) };
}

describe('CallbackIntakeQueue', () => {
  it('groups what arrives while a commit runs, one commit per room, and resolves after it', async () => {
    const { store, intake, sink, confirmed } = setup();
    store.hold = true;
    const first = intake.submit(cb('e1'));
    await new Promise((r) => setImmediate(r));
    const rest = [intake.submit(cb('e2')), intake.submit(cb('e3', 'r2')), intake.submit(cb('e4'))];
    let settled = false;
    void Promise.all(rest).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    store.releaseNow();
    expect(await first).toBe('accepted');
    expect(await Promise.all(rest)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(store.batches).toEqual([
      { roomId: 'r1', ids: ['e1'] },
      { roomId: 'r1', ids: ['e2', 'e4'] },
      { roomId: 'r2', ids: ['e3'] },
    ]);
    expect(sink.events.map((e) => e.userId).sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(confirmed.sort()).toEqual(['r1', 'r1', 'r2']);
  });

  it('drops repeats: committed ones, ones in flight, and ones remembered from the store', async () => {
    const { store, intake } = setup();
    intake.remember(['old']);
    expect(await intake.submit(cb('old'))).toBe('duplicate');
    store.hold = true;
    const a = intake.submit(cb('e1'));
    const b = intake.submit(cb('e1'));
    store.releaseNow();
    expect([await a, await b]).toEqual(['accepted', 'duplicate']);
    expect(await intake.submit(cb('e1'))).toBe('duplicate');
    expect(store.batches.flatMap((x) => x.ids)).toEqual(['e1']);
  });

  it('a failed commit rejects its callbacks (the vendor retries) and forgets nothing it did not commit', async () => {
    const { store, intake } = setup();
    store.fail = true;
    await expect(intake.submit(cb('e1'))).rejects.toThrow('disk full');
    store.fail = false;
    expect(await intake.submit(cb('e1'))).toBe('accepted');
  });

  it('a room that cannot be watched, and a replica that does not lead, refuse', async () => {
    const { intake, setLeader } = setup();
    await expect(intake.submit(cb('e1', 'refused'))).rejects.toThrow('cannot be watched');
    setLeader(false);
    await expect(intake.submit(cb('e2'))).rejects.toBeInstanceOf(NotLeaderError);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { StateStore } from '../../src/store/store';
import { StaleLeaderError, StateWriteError } from '../../src/store/store';
import { ForeignFileError } from '../../src/store/store-file';
import { storeContract, TestLease } from './store-contract';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rtc-sqlite-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const files = new WeakMap<StateStore, { file: string; retention: { maxEvents: number; maxAgeSeconds: number }; now: () => number; lease: TestLease }>();
storeContract('sqlite', {
  make: async ({ now, ...retention }) => {
    const file = join(tmp(), 'nested', 'state.db');
    const lease = new TestLease();
    const { store } = SqliteStore.open(file, retention, now, lease);
    files.set(store, { file, retention, now, lease });
    return store;
  },
  reopen: async (store) => {
    const { file, retention, now, lease } = files.get(store)!;
    await store.close();
    const { store: again } = SqliteStore.open(file, retention, now, lease);
    files.set(again, { file, retention, now, lease });
    return again;
  },
  lead: async (store, token) => void (files.get(store)!.lease.current = token),
});

describe('SqliteStore files', () => {
  const retention = { maxEvents: 100, maxAgeSeconds: 100 };

  test.each([
    ['a YAML config', 'rooms:\n  - appId: a\n    roomId: r\n'],
    ['an NDJSON events file', '{"id":1,"type":"join"}\n'],
  ])('refuses to open %s and leaves it unchanged', (_what, content) => {
    const file = join(tmp(), 'x');
    writeFileSync(file, content);
    expect(() => SqliteStore.open(file, retention)).toThrow(ForeignFileError);
    expect(() => SqliteStore.open(file, retention)).toThrow(/state\.file: .* is not an rtc-room-monitor store/);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  test("refuses another application's SQLite database and leaves it unchanged", () => {
    const file = join(tmp(), 'other.db');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const other = new Database(file);
    other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42);');
    other.close();
    const before = readFileSync(file);
    expect(() => SqliteStore.open(file, retention)).toThrow(/another application/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('moves a damaged store aside and starts fresh', async () => {
    const file = join(tmp(), 'state.db');
    const { store } = SqliteStore.open(file, retention);
    for (let i = 0; i < 200; i++) await store.commitPoll({ appId: 'a', roomId: `r${i}`, exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 1, baseline: { visible: [`u${i}`.repeat(50)], invisible: [] }, changes: [], events: [] }, 1);
    await store.close();
    const bytes = readFileSync(file);
    // Keep the 100-byte header, scribble over the pages after it.
    for (let i = 4096; i < bytes.length; i += 7) bytes[i] = 0xa5;
    writeFileSync(file, bytes);
    const opened = SqliteStore.open(file, retention);
    expect(opened.movedAside?.to).toMatch(/state\.db\.corrupt-/);
    expect(readFileSync(opened.movedAside!.to).equals(bytes)).toBe(true);
    expect(await opened.store.loadRooms()).toEqual([]);
    await opened.store.close();
  });

  test('a failed commit rejects with StateWriteError and commits nothing', async () => {
    const file = join(tmp(), 'state.db');
    const { store } = SqliteStore.open(file, retention);
    await store.commitPoll({ appId: 'a', roomId: 'r', exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 1, baseline: { visible: ['x'], invisible: [] }, changes: [], events: [] }, 1);
    const bad = { appId: 'a', roomId: 'r', exists: true, totalUsers: 2, totalInvisibleUsers: 0, lastSuccessMs: 2, changes: [{ type: 'join' as const, userId: 'y', visibility: 'visible' as const }], events: [{ time: 't', type: 'join' as const, appId: 'a', roomId: 'r', userId: null as unknown as string, visibility: 'visible' as const }] };
    await expect(store.commitPoll(bad, 1)).rejects.toBeInstanceOf(StateWriteError);
    expect(await store.loadRooms()).toEqual([expect.objectContaining({ totalUsers: 1, visible: ['x'] })]);
    expect(await store.lastEventId()).toBe(0);
    await store.close();
  });

  test('commitPolls commits several rooms in one transaction: all of them, or none', async () => {
    const file = join(tmp(), 'state.db');
    const { store } = SqliteStore.open(file, retention);
    const ok = (roomId: string, userId: string) => ({ appId: 'a', roomId, exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 1, baseline: { visible: [userId], invisible: [] }, changes: [], events: [{ time: 't', type: 'join' as const, appId: 'a', roomId, userId, visibility: 'visible' as const }] });
    const committed = await store.commitPolls([ok('r1', 'x'), ok('r2', 'y')], 1);
    expect(committed.map((events) => events.map((e) => [e.id, e.roomId]))).toEqual([[[1, 'r1']], [[2, 'r2']]]);
    const bad = { ...ok('r4', 'z'), events: [{ time: 't', type: 'join' as const, appId: 'a', roomId: 'r4', userId: null as unknown as string, visibility: 'visible' as const }] };
    await expect(store.commitPolls([ok('r3', 'w'), bad], 1)).rejects.toBeInstanceOf(StateWriteError);
    expect((await store.loadRooms()).map((r) => r.roomId).sort()).toEqual(['r1', 'r2']);
    expect(await store.lastEventId()).toBe(2);
    // Fenced like a single commit: no token, nothing written.
    await expect(store.commitPolls([ok('r5', 'v')], undefined)).rejects.toBeInstanceOf(StaleLeaderError);
    await store.close();
  });
});

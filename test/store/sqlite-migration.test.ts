import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NewerSchemaError, readEventsFromFile, SqliteStore, STORE_SCHEMA_VERSION } from '../../src/store/sqlite-store';

// Written by the release before schema 2 (its SqliteStore, unchanged): room app1/room1 with members
// u1, u3 and h1 (invisible), events 1 (join u3) and 2 (leave u2), cursor "file" at 1.
const V1 = join(__dirname, '..', 'fixtures', 'store', 'store-v1.db');
const retention = { maxEvents: 1000, maxAgeSeconds: 86_400 * 3650 };

describe('SQLite schema upgrades', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rtc-migrate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const schemaOf = (file: string): string => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
    } finally {
      db.close();
    }
  };

  it('the events CLI reads a schema 1 store as it is, without changing it', () => {
    const file = join(dir, 'v1.db');
    copyFileSync(V1, file);
    expect(readEventsFromFile(file, 0, 10).map((e) => [e.id, e.type, e.userId, e.source])).toEqual([
      [1, 'join', 'u3', 'poll'],
      [2, 'leave', 'u2', 'poll'],
    ]);
    expect(schemaOf(file)).toBe('1');
  });

  it('migrates a schema 1 store in place, keeping rooms, members, events, ids and cursors', async () => {
    const file = join(dir, 'v1.db');
    copyFileSync(V1, file);
    const { store, movedAside } = SqliteStore.open(file, retention, () => 1_765_000_100_000);
    expect(movedAside).toBeUndefined();
    expect(schemaOf(file)).toBe(STORE_SCHEMA_VERSION);
    expect(await store.loadRooms()).toEqual([{ appId: 'app1', roomId: 'room1', exists: true, totalUsers: 3, totalInvisibleUsers: 1, lastSuccessMs: 1_765_000_015_000, visible: ['u1', 'u3'], invisible: ['h1'] }]);
    expect((await store.readEvents(0, 10)).map((e) => [e.id, e.userId, e.source])).toEqual([
      [1, 'u3', 'poll'],
      [2, 'u2', 'poll'],
    ]);
    expect(await store.getCursor('file')).toBe(1);
    // New writes use the new columns and continue the ids.
    const [e] = await store.commitPoll({ appId: 'app1', roomId: 'room1', exists: true, totalUsers: 4, totalInvisibleUsers: 1, lastSuccessMs: undefined, changes: [{ type: 'join', userId: 'u4', visibility: 'visible' }], events: [{ time: 't', type: 'join', appId: 'app1', roomId: 'room1', userId: 'u4', visibility: 'visible', source: 'callback' }], callbackIds: ['cb1'] }, 1);
    expect(e).toMatchObject({ id: 3, source: 'callback' });
    expect(await store.recentCallbackIds(0)).toEqual(['cb1']);
    await store.close();
    // Opening again is a no-op.
    const again = SqliteStore.open(file, retention);
    expect((await again.store.readEvents(2, 10)).map((x) => x.source)).toEqual(['callback']);
    await again.store.close();
  });

  it('refuses a store of a newer schema, naming state.file, and leaves it unchanged', () => {
    const file = join(dir, 'future.db');
    copyFileSync(V1, file);
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    db.close();
    expect(() => SqliteStore.open(file, retention)).toThrow(NewerSchemaError);
    expect(() => SqliteStore.open(file, retention)).toThrow(/^state\.file: .*future\.db has store schema 99, newer than this release knows/);
    expect(schemaOf(file)).toBe('99');
  });
});

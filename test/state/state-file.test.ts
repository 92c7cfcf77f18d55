import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SavedRoom } from '../../src/rooms/room-store';
import { loadState, saveState, STATE_FORMAT, STATE_VERSION } from '../../src/state/state-file';

const ROOMS: SavedRoom[] = [
  { appId: 'app1', roomId: 'lobby', exists: true, totalUsers: 3, totalInvisibleUsers: 1, lastSuccessMs: 1_700_000_000_000, visible: ['alice', 'bob'], invisible: ['eve'] },
  { appId: 'app1', roomId: 'empty', exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] },
];
const SAVED_AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'state-file-'));
  file = path.join(dir, 'state.json');
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fsp.rm(dir, { recursive: true, force: true });
});

function validDoc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date(SAVED_AT).toISOString(), rooms: ROOMS, ...overrides };
}

function writeJson(value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value));
}

describe('saveState / loadState', () => {
  test('round-trips rooms and the save time', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: ROOMS, savedAtMs: SAVED_AT });
  });

  test('writes the documented envelope', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(doc).toEqual({ format: 'rtc-room-monitor-state', version: 1, savedAt: '2024-01-02T03:04:05.678Z', rooms: ROOMS });
  });

  test('an empty room list round-trips', async () => {
    await saveState(file, [], SAVED_AT);
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: [], savedAtMs: SAVED_AT });
  });

  test('creates missing parent directories', async () => {
    const nested = path.join(dir, 'a', 'b', 'state.json');
    await saveState(nested, ROOMS, SAVED_AT);
    expect(loadState(nested).status).toBe('loaded');
  });

  test('leaves no temp file behind', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    await saveState(file, ROOMS, SAVED_AT + 1);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  test('a missing file (or directory) is "missing"', () => {
    expect(loadState(file)).toEqual({ status: 'missing' });
    expect(loadState(path.join(dir, 'nope', 'state.json'))).toEqual({ status: 'missing' });
  });

  test('a file truncated mid-write is invalid, never a crash', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, Math.floor(full.length / 2)));
    const result = loadState(file);
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' && result.reason).toMatch(/^corrupt: not valid JSON/);
  });

  test('every strict prefix of a saved file is invalid', async () => {
    await saveState(file, ROOMS.slice(0, 1), SAVED_AT);
    const full = fs.readFileSync(file, 'utf8');
    // The last byte is the trailing newline; everything shorter than the JSON text itself must be rejected.
    const json = full.trimEnd();
    for (let n = 0; n < json.length; n++) {
      fs.writeFileSync(file, json.slice(0, n));
      expect(loadState(file).status).toBe('invalid');
    }
  });

  test.each<[string, unknown, RegExp]>([
    ['a future version', validDoc({ version: 2 }), /^foreign-version: version is 2, this build reads 1$/],
    ['no version', validDoc({ version: undefined }), /^foreign-version: version is missing/],
    ['another format', validDoc({ format: 'something-else' }), /^foreign-format: format is "something-else"/],
    ['a JSON array', [1, 2], /^corrupt: top level is not a JSON object$/],
    ['JSON null', null, /^corrupt: top level is not a JSON object$/],
    ['a bad savedAt', validDoc({ savedAt: 'yesterday' }), /^bad-shape: savedAt:/],
    ['rooms not an array', validDoc({ rooms: {} }), /^bad-shape: rooms: must be an array$/],
    ['a room that is not an object', validDoc({ rooms: ['x'] }), /^bad-shape: rooms\[0\]: must be an object$/],
    ['a missing appId', validDoc({ rooms: [{ ...ROOMS[0], appId: undefined }] }), /^bad-shape: rooms\[0\]\.appId: must be a non-empty string$/],
    ['a numeric roomId', validDoc({ rooms: [ROOMS[1], { ...ROOMS[0], roomId: 7 }] }), /^bad-shape: rooms\[1\]\.roomId:/],
    ['exists not boolean', validDoc({ rooms: [{ ...ROOMS[0], exists: 'yes' }] }), /^bad-shape: rooms\[0\]\.exists:/],
    ['a negative count', validDoc({ rooms: [{ ...ROOMS[0], totalUsers: -1 }] }), /^bad-shape: rooms\[0\]\.totalUsers: must be a non-negative integer$/],
    ['a string count', validDoc({ rooms: [{ ...ROOMS[0], totalInvisibleUsers: '1' }] }), /^bad-shape: rooms\[0\]\.totalInvisibleUsers:/],
    ['a null lastSuccessMs', validDoc({ rooms: [{ ...ROOMS[0], lastSuccessMs: null }] }), /^bad-shape: rooms\[0\]\.lastSuccessMs:/],
    ['visible not an array', validDoc({ rooms: [{ ...ROOMS[0], visible: 'alice' }] }), /^bad-shape: rooms\[0\]\.visible: must be an array of strings$/],
    ['a numeric user id', validDoc({ rooms: [{ ...ROOMS[0], invisible: ['eve', 42] }] }), /^bad-shape: rooms\[0\]\.invisible\[1\]: must be a string$/],
    ['a duplicate room', validDoc({ rooms: [ROOMS[0], ROOMS[0]] }), /^bad-shape: rooms\[1\]: duplicate room app1\/lobby$/],
  ])('%s is invalid with a reason', (_name, doc, reason) => {
    writeJson(doc);
    const result = loadState(file);
    expect(result).toEqual({ status: 'invalid', reason: expect.stringMatching(reason) });
  });

  test('an unreadable path is invalid, not a crash', () => {
    fs.mkdirSync(file);
    expect(loadState(file)).toEqual({ status: 'invalid', reason: expect.stringMatching(/^unreadable: EISDIR/) });
  });

  test('unknown keys are ignored and not passed on', () => {
    writeJson(validDoc({ extra: true, rooms: [{ ...ROOMS[0], note: 'x' }] }));
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: [ROOMS[0]], savedAtMs: SAVED_AT });
  });
});

describe('crash safety', () => {
  test('a stray temp file from a crashed save does not hide the last good file', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    // What a save killed after writing but before renaming leaves behind (another pid, half written).
    const good = fs.readFileSync(file);
    fs.writeFileSync(`${file}.tmp-99999`, good.subarray(0, 20));
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: ROOMS, savedAtMs: SAVED_AT });
    // The next save still works and replaces the target.
    await saveState(file, ROOMS.slice(1), SAVED_AT + 1);
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: ROOMS.slice(1), savedAtMs: SAVED_AT + 1 });
  });

  test('a save that fails before the rename leaves the old file intact and cleans up', async () => {
    await saveState(file, ROOMS, SAVED_AT);
    // The module object itself (a namespace import is a frozen copy): the same one the code under test calls.
    const fsPromises = jest.requireActual<typeof fsp>('node:fs/promises');
    jest.spyOn(fsPromises, 'rename').mockRejectedValueOnce(Object.assign(new Error('simulated crash'), { code: 'EIO' }));
    await expect(saveState(file, [], SAVED_AT + 1)).rejects.toThrow('simulated crash');
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: ROOMS, savedAtMs: SAVED_AT });
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  test('readers never see a partial file at the target path while a large save runs', async () => {
    const small = ROOMS.slice(0, 1);
    await saveState(file, small, SAVED_AT);
    const big: SavedRoom[] = Array.from({ length: 200 }, (_, i) => ({
      appId: 'app',
      roomId: `room-${i}`,
      exists: true,
      totalUsers: 500,
      totalInvisibleUsers: 0,
      visible: Array.from({ length: 500 }, (_v, u) => `user-${i}-${u}`),
      invisible: [],
    }));
    let done = false;
    const saving = saveState(file, big, SAVED_AT + 1).finally(() => {
      done = true;
    });
    const seen = new Set<number>();
    while (!done) {
      const result = loadState(file);
      if (result.status !== 'loaded') throw new Error(`reader saw ${JSON.stringify(result)}`);
      seen.add(result.savedAtMs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await saving;
    const last = loadState(file);
    expect(last.status === 'loaded' && last.rooms).toHaveLength(200);
    // The reader did run while the save was in progress.
    expect(seen.has(SAVED_AT)).toBe(true);
  });

  test('concurrent saves to one path are serialized; the last call wins', async () => {
    const saves = Array.from({ length: 10 }, (_, i) => saveState(file, ROOMS.slice(0, 1 + (i % 2)), SAVED_AT + i));
    await Promise.all(saves);
    expect(loadState(file)).toEqual({ status: 'loaded', rooms: ROOMS.slice(0, 2), savedAtMs: SAVED_AT + 9 });
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });
});

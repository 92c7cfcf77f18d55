import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomEvent } from '../../src/rooms/room-event';
import { EventFileSink, MAX_BUFFER_BYTES } from '../../src/sinks/event-file-sink';

const event = (i: number): RoomEvent => ({ time: new Date(1_700_000_000_000 + i).toISOString(), type: 'join', appId: 'app', roomId: 'r', userId: `u${i}`, visibility: 'visible' });

describe('EventFileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-events-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every event as one JSON line and loses none on close', () => {
    const file = join(dir, 'nested', 'events.ndjson');
    const errors: Error[] = [];
    const sink = new EventFileSink(file, (e) => errors.push(e));
    for (let batch = 0; batch < 50; batch++) sink.emit(Array.from({ length: 40 }, (_, i) => event(batch * 40 + i)));
    sink.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2000);
    expect(lines.map((l) => (JSON.parse(l) as RoomEvent).userId)).toEqual(Array.from({ length: 2000 }, (_, i) => `u${i}`));
    expect(errors).toEqual([]);
  });

  it('appends to an existing file across restarts', () => {
    const file = join(dir, 'events.ndjson');
    const first = new EventFileSink(file, () => undefined);
    first.emit([event(1)]);
    first.close();
    const second = new EventFileSink(file, () => undefined);
    second.emit([event(2)]);
    second.close();
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as RoomEvent).userId)).toEqual(['u1', 'u2']);
  });

  (existsSync('/dev/full') ? it : it.skip)('reports write failures and drops lines past the buffer bound instead of growing without limit', async () => {
    const errors: string[] = [];
    const sink = new EventFileSink('/dev/full', (e) => errors.push(e.message));
    const batch = Array.from({ length: 1000 }, (_, i) => event(i));
    const batchBytes = batch.map((e) => JSON.stringify(e).length + 1).reduce((a, b) => a + b, 0);
    for (let i = 0; i < Math.ceil(MAX_BUFFER_BYTES / batchBytes) + 5; i++) {
      expect(() => sink.emit(batch)).not.toThrow();
      await new Promise((r) => setImmediate(r));
    }
    expect(errors.some((m) => /ENOSPC/.test(m))).toBe(true);
    expect(errors.some((m) => m.startsWith('event file buffer full: dropped 1000 event line(s)'))).toBe(true);
    expect(() => sink.close()).not.toThrow();
  });
});

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomEvent } from '../../src/rooms/room-event';
import { EventFileSink } from '../../src/sinks/event-file-sink';

const event = (i: number): RoomEvent => ({ id: i, time: new Date(1_700_000_000_000 + i).toISOString(), type: 'join', appId: 'app', roomId: 'r', userId: `u${i}`, visibility: 'visible' });

describe('EventFileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-events-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every event as one JSON line with its id; the lines are in the file when accept returns', () => {
    const file = join(dir, 'nested', 'events.ndjson');
    const sink = new EventFileSink(file);
    expect(sink.lastWrittenId()).toBeUndefined();
    for (let batch = 0; batch < 50; batch++) sink.accept(Array.from({ length: 40 }, (_, i) => event(batch * 40 + i + 1)));
    const lines = readFileSync(file, 'utf8').split('\n');
    sink.close();
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2000);
    expect(lines.map((l) => (JSON.parse(l) as RoomEvent).id)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  it('appends across restarts and reports the id of the last line it wrote', () => {
    const file = join(dir, 'events.ndjson');
    const first = new EventFileSink(file);
    first.accept([event(1), event(2)]);
    first.close();
    const second = new EventFileSink(file);
    expect(second.lastWrittenId()).toBe(2);
    second.accept([event(3)]);
    second.close();
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as RoomEvent).id)).toEqual([1, 2, 3]);
  });

  it('cuts away a line a crash left unfinished, so the event is written again whole', () => {
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${JSON.stringify(event(1))}\n${JSON.stringify(event(2)).slice(0, 30)}`);
    const sink = new EventFileSink(file);
    expect(sink.lastWrittenId()).toBe(1);
    sink.accept([event(2)]);
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(event(1))}\n${JSON.stringify(event(2))}\n`);
  });

  it('has no resume id when the last line carries none (a file from an older version)', () => {
    const file = join(dir, 'events.ndjson');
    appendFileSync(file, '{"time":"x","type":"join"}\n');
    const sink = new EventFileSink(file);
    expect(sink.lastWrittenId()).toBeUndefined();
    sink.close();
  });

  (existsSync('/dev/full') ? it : it.skip)('throws on a failed write, so the delivery offers the events again', () => {
    const sink = new EventFileSink('/dev/full');
    expect(() => sink.accept([event(1)])).toThrow(/ENOSPC/);
    sink.close();
  });
});

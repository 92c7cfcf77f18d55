import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomEvent } from '../../src/rooms/room-event';
import { EventFileSink, FileOps } from '../../src/sinks/event-file-sink';
import { LogDelivery } from '../../src/sinks/log-delivery';
import { MemoryStore } from '../../src/store/memory-store';
import type { NewEvent } from '../../src/store/store';
import { FakeClock, settle } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';
import { fillDisk, mountTmpfs } from '../support/tmpfs';

const event = (i: number): RoomEvent => ({ id: i, time: new Date(1_700_000_000_000 + i).toISOString(), type: 'join', appId: 'app', roomId: 'r', userId: `u${i}`, visibility: 'visible' });

/** Ids of the file's lines; throws on a line that is not whole JSON (a cut line mid-file). */
function fileIds(file: string): number[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as RoomEvent).id);
}

const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real file operations, except that the disk "fills" after `budget` more bytes until `free()`. */
class FillingDisk implements FileOps {
  budget = Number.POSITIVE_INFINITY;
  writes = 0;
  failTruncate = 0;
  writeSync(fd: number, buf: Buffer, offset: number, length: number): number {
    this.writes++;
    if (this.budget <= 0) throw enospc();
    const n = Math.min(length, this.budget);
    this.budget -= n;
    return writeSync(fd, buf, offset, n);
  }
  ftruncateSync(fd: number, len: number): void {
    if (this.failTruncate > 0) {
      this.failTruncate--;
      throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
    }
    ftruncateSync(fd, len);
  }
  fstatSync(fd: number): { size: number } {
    return fstatSync(fd);
  }
}

describe('EventFileSink: a write that stops part way (disk full)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-events-partial-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a batch written in part and then refused leaves no cut line, and the retry writes each id once', () => {
    const file = join(dir, 'events.ndjson');
    const disk = new FillingDisk();
    const sink = new EventFileSink(file, disk);
    sink.accept([event(1), event(2)]);
    // Room for one and a half lines of the next batch: the kernel writes that much, then says ENOSPC.
    disk.budget = Math.floor(JSON.stringify(event(3)).length * 1.5);
    expect(() => sink.accept([event(3), event(4), event(5)])).toThrow(/ENOSPC/);
    expect(fileIds(file)).toEqual([1, 2]);
    disk.budget = Number.POSITIVE_INFINITY;
    sink.accept([event(3), event(4), event(5)]);
    sink.close();
    expect(fileIds(file)).toEqual([1, 2, 3, 4, 5]);
  });

  test('when even cutting back fails, the next batch cuts back first; a file that cannot be repaired takes nothing', () => {
    const file = join(dir, 'events.ndjson');
    const disk = new FillingDisk();
    const sink = new EventFileSink(file, disk);
    sink.accept([event(1)]);
    disk.budget = 10;
    disk.failTruncate = 2;
    expect(() => sink.accept([event(2), event(3)])).toThrow(/ENOSPC/);
    disk.budget = Number.POSITIVE_INFINITY;
    // Still cannot cut the partial line away: nothing is appended behind it.
    const writes = disk.writes;
    expect(() => sink.accept([event(2), event(3)])).toThrow(/EIO/);
    expect(disk.writes).toBe(writes);
    sink.accept([event(2), event(3)]);
    sink.close();
    expect(fileIds(file)).toEqual([1, 2, 3]);
  });

  test('a file shortened by someone else is never extended with zeros when a write fails', () => {
    const file = join(dir, 'events.ndjson');
    const disk = new FillingDisk();
    const sink = new EventFileSink(file, disk);
    sink.accept([event(1), event(2)]);
    const other = openSync(file, 'r+');
    ftruncateSync(other, 0);
    closeSync(other);
    disk.budget = 5;
    expect(() => sink.accept([event(3)])).toThrow(/ENOSPC/);
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});

/**
 * The real thing: a 64 KiB tmpfs filled to the last few bytes, then freed. Needs root (mount); skipped
 * with a message otherwise, the FillingDisk cases above cover the same logic.
 */

describe('EventFileSink on a full tmpfs', () => {
  let dir: string;
  let mounted = false;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-events-tmpfs-'));
    mounted = mountTmpfs(dir, 'the tmpfs test');
  });
  afterAll(() => {
    // Lazy: a failed test may still hold the file open; the mount goes once it is closed.
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('delivery stalls while the disk is full and recovers once space is freed; the file is a clean log', async () => {
    if (!mounted) return;
    const clock = new FakeClock(1_000_000);
    const store = new MemoryStore({ maxEvents: 10_000, maxAgeSeconds: 3600 }, () => clock.now());
    const file = join(dir, 'events.ndjson');
    const sink = new EventFileSink(file);
    const failures = { n: 0 };
    const log = memoryLogger();
    const delivery = new LogDelivery(store, sink, { name: 'file', batch: 1000, ackOnAccept: true }, { clock, logger: log.logger, fence: () => 1, observer: { lost: () => undefined, backlog: () => undefined, failed: () => void failures.n++ } });
    let next = 1;
    const commit = async (n: number): Promise<void> => {
      const events: NewEvent[] = [];
      for (let i = 0; i < n; i++) events.push({ time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'app', roomId: 'r', userId: `user-${next++}`, visibility: 'visible' });
      await store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 0, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events }, 1);
    };
    await delivery.start(sink.lastWrittenId());
    await commit(3);
    await settle();
    expect(fileIds(file)).toEqual([1, 2, 3]);

    // Fill every free block but the events file's last, partly used one.
    const fillerDir = fillDisk(dir);
    // A batch far bigger than the few bytes left: written in part, then ENOSPC.
    await commit(200);
    await settle();
    expect(failures.n).toBeGreaterThan(0);
    expect(fileIds(file)).toEqual([1, 2, 3]);
    await clock.advance(1000);
    await settle();
    expect(fileIds(file)).toEqual([1, 2, 3]);

    rmSync(fillerDir, { recursive: true });
    await clock.advance(1000);
    await settle();
    await commit(2);
    await settle();
    await delivery.stop();
    sink.close();
    expect(fileIds(file)).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
    expect(log.lines().some((l) => /recovered/.test(String(l.msg)))).toBe(true);
  });
});

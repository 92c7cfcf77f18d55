import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RoomEvent } from '../rooms/room-event';
import type { DeliveryTarget } from './log-delivery';

/** How much of the file's end is read at start to find the last complete line. */
const TAIL_BYTES = 64 * 1024;

/**
 * Events appended to an NDJSON file, one JSON object per line, delivered from the committed log. Each
 * batch is one synchronous append (a few lines per poll; the daemon waits on the vendor API, not on this),
 * so once `accept` returns the lines are in the file and the cursor may move. At start the file's tail
 * says where it stopped: a line cut short by a crash is truncated away, and delivery resumes after the id
 * of the last complete line, so the file holds every event exactly once, in order, across kill -9.
 */
export class EventFileSink implements DeliveryTarget {
  private fd: number;
  private readonly lastId: number | undefined;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    // Opened synchronously at start-up, so a bad path fails at once rather than at the first event.
    this.fd = openSync(file, 'a+');
    this.lastId = this.repairTail();
  }

  /** Id of the last complete line in the file at start, if it has one. */
  lastWrittenId(): number | undefined {
    return this.lastId;
  }

  capacity(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  accept(events: RoomEvent[]): void {
    let chunk = '';
    for (const e of events) chunk += JSON.stringify(e) + '\n';
    const buf = Buffer.from(chunk, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Drop a partial last line (a crash mid-write) and return the id of the last complete one. */
  private repairTail(): number | undefined {
    const size = fstatSync(this.fd).size;
    if (size === 0) return undefined;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    readSync(this.fd, buf, 0, buf.length, start);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl !== buf.length - 1) {
      // The bytes after the last newline are an unfinished line; it is written again from the log.
      ftruncateSync(this.fd, start + lastNl + 1);
    }
    if (lastNl < 0) return undefined;
    const prevNl = buf.lastIndexOf(0x0a, lastNl - 1);
    try {
      const id = (JSON.parse(buf.subarray(prevNl + 1, lastNl).toString('utf8')) as { id?: unknown }).id;
      return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
    } catch {
      return undefined;
    }
  }
}

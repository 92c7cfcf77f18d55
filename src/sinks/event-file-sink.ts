import * as fs from 'node:fs';
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RoomEvent } from '../rooms/room-event';
import type { DeliveryTarget } from './log-delivery';

/** How much of the file's end is read at start to find the last complete line. */
const TAIL_BYTES = 64 * 1024;

/** The file operations an append needs; tests pass a disk that fills up part way through a write. */
export interface FileOps {
  writeSync(fd: number, buf: Buffer, offset: number, length: number): number;
  ftruncateSync(fd: number, len: number): void;
  fstatSync(fd: number): { size: number };
}

const nodeFileOps: FileOps = {
  writeSync: (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  fstatSync: (fd) => fs.fstatSync(fd),
};

/**
 * Events appended to an NDJSON file, one JSON object per line, delivered from the committed log. Each
 * batch is one synchronous append (a few lines per poll; the daemon waits on the vendor API, not on this),
 * so once `accept` returns the lines are in the file and the cursor may move. At start the file's tail
 * says where it stopped: a line cut short by a crash is truncated away, and delivery resumes after the id
 * of the last complete line, so the file holds every event exactly once, in order, across kill -9.
 *
 * A batch is all or nothing while the daemon runs, too: a full disk (ENOSPC, EDQUOT) can take part of a
 * batch and then refuse the rest, and the delivery offers the whole batch again later. So a failed
 * append cuts the file back to its size before the batch; if even that fails, the next batch cuts back
 * first and is refused while it cannot, so nothing is ever appended behind a cut line.
 */
export class EventFileSink implements DeliveryTarget {
  private fd: number;
  private readonly lastId: number | undefined;
  /** The file's size before a batch that failed part way and has not been cut away yet. */
  private cutBackTo: number | undefined;

  constructor(
    readonly file: string,
    private readonly ops: FileOps = nodeFileOps,
  ) {
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
    if (this.cutBackTo !== undefined) this.cutBack(this.cutBackTo);
    // Measured per batch rather than tracked: a file shortened by someone else (a rotation) is never
    // extended with zeros by a cut back to a size it no longer has.
    const before = this.ops.fstatSync(this.fd).size;
    let off = 0;
    try {
      while (off < buf.length) off += this.ops.writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      this.cutBackTo = before;
      try {
        this.cutBack(before);
      } catch {
        // Kept in cutBackTo: the next batch tries again before it writes anything. The write's error
        // (ENOSPC) is the one worth reporting.
      }
      throw err;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Cut a partly written batch away (the file was opened for append, so the next write lands there). */
  private cutBack(size: number): void {
    if (this.ops.fstatSync(this.fd).size > size) this.ops.ftruncateSync(this.fd, size);
    this.cutBackTo = undefined;
  }

  /** Drop a partial last line (a crash mid-write) and return the id of the last complete one. */
  private repairTail(): number | undefined {
    const size = this.ops.fstatSync(this.fd).size;
    if (size === 0) return undefined;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    readSync(this.fd, buf, 0, buf.length, start);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl !== buf.length - 1) {
      // The bytes after the last newline are an unfinished line; it is written again from the log.
      this.ops.ftruncateSync(this.fd, start + lastNl + 1);
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

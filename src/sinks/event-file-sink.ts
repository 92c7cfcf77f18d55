import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';

type Destination = ReturnType<typeof pino.destination>;

/** Bytes held in memory while the file cannot be written (disk full, I/O error); beyond that, lines drop. */
export const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Events appended to an NDJSON file, one JSON object per line. sonic-boom (pino's writer) buffers and
 * appends without blocking the poll loop and can flush synchronously at shutdown, so a clean stop never
 * loses a written line. The file is opened in append mode: restarts and log shippers see one growing file.
 * While writes fail the buffer is bounded; dropped lines are reported through `onError`.
 */
export class EventFileSink implements EventSink {
  private readonly dest: Destination;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly onError: (err: Error) => void,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    // Opened here, synchronously: sonic-boom's own open is async, and a flush before it completes (an early
    // shutdown) would lose the buffered lines. A bad path also fails at start-up rather than later.
    const fd = openSync(file, 'a');
    this.dest = pino.destination({ fd, sync: false, maxLength: MAX_BUFFER_BYTES });
    this.dest.on('error', (err: Error) => {
      this.failed = true;
      this.onError(err);
    });
    this.dest.on('write', () => {
      this.failed = false;
    });
    this.dest.on('drop', (data: string) => {
      const lines = data.split('\n').filter((l) => l !== '').length;
      this.onError(new Error(`event file buffer full: dropped ${lines} event line(s)`));
    });
  }

  emit(events: readonly RoomEvent[]): void {
    if (events.length === 0) return;
    let chunk = '';
    for (const e of events) chunk += JSON.stringify(e) + '\n';
    try {
      this.dest.write(chunk);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Write out everything buffered. */
  flush(): void {
    if (this.failed) return;
    try {
      this.dest.flushSync();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  close(): void {
    this.flush();
    this.dest.end();
  }
}

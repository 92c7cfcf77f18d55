import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';

type Destination = ReturnType<typeof pino.destination>;

/**
 * Events appended to an NDJSON file, one JSON object per line. sonic-boom (pino's writer) buffers and
 * appends without blocking the poll loop and can flush synchronously at shutdown, so a clean stop never
 * loses a written line. The file is opened in append mode: restarts and log shippers see one growing file.
 */
export class EventFileSink implements EventSink {
  private readonly dest: Destination;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly onError: (err: Error) => void,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.dest = pino.destination({ dest: file, append: true, sync: false});
    this.dest.on('error', (err: Error) => {
      this.failed = true;
      this.onError(err);
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

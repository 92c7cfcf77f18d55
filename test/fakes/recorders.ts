import pino from 'pino';
import type { EventSink, PollObserver } from '../../src/polling/room-poller';
import type { RoomEvent } from '../../src/rooms/room-event';
import type { ApiError } from '../../src/volc/errors';

export class RecordingSink implements EventSink {
  readonly events: RoomEvent[] = [];
  emit(events: readonly RoomEvent[]): void {
    this.events.push(...events);
  }
}

export class RecordingObserver implements PollObserver {
  waits: number[] = [];
  retries = 0;
  throttles = 0;
  failures: string[] = [];
  stateWriteFailures = 0;
  stateWriteFailed(): void {
    this.stateWriteFailures++;
  }
  permitWaited(seconds: number): void {
    this.waits.push(seconds);
  }
  retried(): void {
    this.retries++;
  }
  throttled(): void {
    this.throttles++;
  }
  failed(_ref: unknown, err: ApiError): void {
    this.failures.push(err.code);
  }
}

/** A pino logger that keeps its lines in memory (for asserting what was, and was not, logged). */
export function memoryLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void chunks.push(s) });
  return { logger, lines: () => chunks.map((c) => JSON.parse(c) as Record<string, unknown>) };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { CallbackResult, checkCallback, VerifiedCallback } from './callback-check';
import { isMemberEventType } from './member-callback';

/** Where a verified callback goes; resolves once it is durably accepted (or known as a repeat / stale). */
export interface CallbackIntake {
  submit(callback: VerifiedCallback): Promise<'accepted' | 'duplicate' | 'stale'>;
}

export interface CallbackObserver {
  received(eventType: string, result: CallbackResult): void;
  /** Receipt minus the event's own Timestamp, in seconds (may be negative when the clocks differ). */
  lag(seconds: number): void;
}

export interface CallbackReceiverOptions {
  maxBodyBytes: number;
  secretFor(appId: string): string | undefined;
  intake: CallbackIntake;
  observer: CallbackObserver;
  clock: Clock;
  logger: Logger;
}

/**
 * The vendor's room callbacks over HTTP: POST only; 413 past maxBodyBytes, 400 for what is not the
 * envelope, 401 for a bad signature or an AppId without a secret, 200 for an unknown EventType and for a
 * repeat, and 200 for an accepted one only once the intake has it durably. 503 only when the store
 * cannot take it (the vendor retries): never a 5xx for bad input.
 */
export class CallbackReceiver {
  constructor(private readonly opts: CallbackReceiverOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return answer(res, 405, 'Method not allowed.');
    }
    const body = await readBody(req, this.opts.maxBodyBytes);
    if (body === undefined) {
      this.opts.observer.received('other', 'too_large');
      // The rest of the body is not read: close the connection rather than drain it.
      res.setHeader('Connection', 'close');
      return answer(res, 413, 'Payload too large.');
    }
    const checked = checkCallback(body, this.opts.secretFor, isMemberEventType);
    if (checked.kind === 'refused') {
      this.opts.observer.received(checked.eventType, checked.result);
      this.opts.logger.warn({ result: checked.result, reason: checked.reason }, 'callback refused');
      return answer(res, checked.status, checked.result === 'bad_signature' ? 'Bad signature.' : `Bad request: ${checked.reason}.`);
    }
    if (checked.kind === 'ignored') {
      this.opts.observer.received(checked.eventType, 'ignored');
      return answer(res, 200, 'Ignored.');
    }
    const { verified } = checked;
    this.opts.observer.lag((this.opts.clock.now() - verified.callback.timestampMs) / 1000);
    let result: 'accepted' | 'duplicate' | 'stale';
    try {
      result = await this.opts.intake.submit(verified);
    } catch (err) {
      this.opts.logger.error({ err, eventId: verified.eventId }, 'callback not stored; the vendor will retry it');
      return answer(res, 503, 'Not stored, retry.');
    }
    this.opts.observer.received(verified.eventType, result);
    return answer(res, 200, 'OK.');
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body as UTF-8, or undefined once it passes `max` bytes (a Content-Length over it is refused at once). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

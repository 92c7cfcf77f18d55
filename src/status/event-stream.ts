import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { EventFeed, FeedEvent } from './event-feed';

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and the browser from timing the stream out. */
  heartbeatMs: number;
  /** A client whose unsent output grows past this is dropped (it reconnects and resumes by id). */
  maxBufferedBytes: number;
  /** Events read from the feed per step while a client catches up. */
  batchLimit: number;
  /** Reconnect delay suggested to EventSource. */
  retryMs: number;
}

export const DEFAULT_STREAM: EventStreamOptions = { heartbeatMs: 15_000, maxBufferedBytes: 1 << 20, batchLimit: 500, retryMs: 2000 };

/** Where a client starts and what it wants. */
export interface StreamRequest {
  /** Resume after this id (Last-Event-ID); undefined: only events from now on. */
  afterId?: number;
  appId?: string;
  roomId?: string;
}

interface Client {
  res: ServerResponse;
  cursor: number;
  live: boolean;
  closed: boolean;
  want: (e: FeedEvent) => boolean;
}

/**
 * GET /api/events/stream: Server-Sent Events over the EventFeed interface only. A client first catches up
 * from its cursor by reading the feed in batches (waiting for the socket to drain between batches), then
 * goes live on the feed's notifications. Live writes never wait: a client that cannot keep up is dropped
 * once its unsent output passes maxBufferedBytes, so one slow browser cannot grow the daemon's memory; it
 * resumes from its last id. Written by hand because the protocol is four line types and no SSE library
 * offers resume-from-a-cursor over our own log.
 */
export class EventStream {
  private readonly clients = new Set<Client>();

  constructor(
    private readonly feed: EventFeed,
    private readonly logger: Logger,
    private readonly opts: EventStreamOptions = DEFAULT_STREAM,
  ) {}

  serve(req: IncomingMessage, res: ServerResponse, request: StreamRequest): void {
    const latest = this.feed.latestId();
    // An id beyond the newest means the log behind it started over (the in-memory feed after a restart):
    // everything it holds is new to this client.
    const cursor = request.afterId === undefined ? latest : request.afterId > latest ? 0 : request.afterId;
    const { appId, roomId } = request;
    const client: Client = {
      res,
      cursor,
      live: false,
      closed: false,
      want: (e) => (appId === undefined || e.appId === appId) && (roomId === undefined || e.roomId === roomId),
    };
    this.clients.add(client);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // An `id:` with no data sets the browser's Last-Event-ID without firing an event, so a reconnect before
    // the first matching event still resumes from here.
    res.write(`retry: ${this.opts.retryMs}\nid: ${cursor}\n\n`);
    const unsubscribe = this.feed.subscribe((events) => {
      if (client.live && !client.closed) this.send(client, events);
    });
    const heartbeat = setInterval(() => {
      if (!client.closed) res.write(': keepalive\n\n');
    }, this.opts.heartbeatMs);
    heartbeat.unref();
    const cleanup = (): void => {
      if (client.closed) return;
      client.closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      this.clients.delete(client);
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
    void this.catchUp(client);
  }

  /** Connected clients (tests check that a disconnect cleans up). */
  clientCount(): number {
    return this.clients.size;
  }

  /** End every stream (shutdown); browsers reconnect to whichever daemon answers next. */
  closeAll(): void {
    for (const c of this.clients) c.res.end();
  }

  private async catchUp(client: Client): Promise<void> {
    try {
      while (!client.closed) {
        const batch = this.feed.after(client.cursor, this.opts.batchLimit);
        const flushed = this.send(client, batch, true);
        if (batch.length < this.opts.batchLimit) {
          // Synchronously after the last read: nothing can be committed in between, so no gap and no repeat.
          client.live = true;
          return;
        }
        if (!flushed) await new Promise<void>((resolve) => {
          client.res.once('drain', resolve);
          client.res.once('close', resolve);
        });
      }
    } catch (err) {
      this.logger.error({ err }, 'event stream catch-up failed');
      client.res.destroy();
    }
  }

  /** Write the events the client wants; returns false when the socket asked us to wait. */
  private send(client: Client, events: readonly FeedEvent[], catchingUp = false): boolean {
    let text = '';
    for (const e of events) {
      if (e.id <= client.cursor) continue;
      client.cursor = e.id;
      if (client.want(e)) text += `id: ${e.id}\nevent: member\ndata: ${JSON.stringify(e)}\n\n`;
    }
    if (text === '') return true;
    const ok = client.res.write(text);
    if (!catchingUp && buffered(client.res) > this.opts.maxBufferedBytes) {
      this.logger.warn({ remote: client.res.socket?.remoteAddress, bufferedBytes: buffered(client.res), lastId: client.cursor }, 'event stream client too slow; dropped (it resumes on reconnect)');
      client.res.destroy();
    }
    return ok;
  }
}

function buffered(res: ServerResponse): number {
  return res.writableLength + (res.socket?.writableLength ?? 0);
}

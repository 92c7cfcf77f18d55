import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver for the cluster tests: answers 500 until `up` is set (a backlog builds up), then
 * 204. Every replica posts to its own path (`/hook/<replica>`), so each POST says who sent it and when;
 * the ids of accepted batches are kept as delivered.
 */

export interface ReceivedPost {
  replica: number;
  atMs: number;
  ids: number[];
}

export class FlakyReceiver {
  up = false;
  readonly delivered = new Set<number>();
  readonly posts: ReceivedPost[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ids = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: { id: number }[] }).events.map((e) => e.id);
      this.posts.push({ replica: Number((req.url ?? '').split('/').pop()), atMs: Date.now(), ids });
      if (!this.up) return void res.writeHead(500).end();
      for (const id of ids) this.delivered.add(id);
      res.writeHead(204).end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }

  /** The URL replica `i` posts to. */
  url(i: number): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook/${i}`;
  }

  /** POSTs replica `i` sent at or after `sinceMs`. */
  postsFrom(i: number, sinceMs: number): ReceivedPost[] {
    return this.posts.filter((p) => p.replica === i && p.atMs >= sinceMs);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../../src/discovery/file-source';
import { globBaseDir } from '../../src/discovery/file-watch';
import { HttpSource, redact } from '../../src/discovery/http-source';
import { RoomRegistry } from '../../src/discovery/room-registry';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

const context = () => ({ accounts: new Set(['default']), defaultAccount: 'default' });

function observer() {
  const o = { ok: 0, failed: 0, passes: [] as string[] };
  return {
    o,
    observer: { request: (_s: string, ok: boolean) => (ok ? o.ok++ : o.failed++), passSucceeded: (_s: string, target: string) => o.passes.push(target), rangeSplit: () => undefined, targetRemoved: () => undefined },
  };
}

describe('FileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let tick = 0;
  /** Writes a file with a distinct mtime, so a change is seen even within one clock second. */
  const write = (name: string, text: string): void => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const t = new Date(Date.UTC(2026, 0, 1) + ++tick * 1000);
    utimesSync(file, t, t);
  };

  it('adds, changes and removes rooms; a bad file keeps its last good list and is reported once', async () => {
    mkdirSync(join(dir, 'rooms'));
    const registry = new RoomRegistry(60_000);
    const clock = new FakeClock(0);
    const log = memoryLogger();
    const { o, observer: obs } = observer();
    const source = new FileSource({ globs: ['rooms/*.yaml', 'rooms/*.json'], cwd: dir, context, registry, observer: obs, clock, logger: log.logger });
    const active = (): string[] => registry.active().map((r) => r.roomId).sort();

    write('rooms/a.yaml', '- {appId: app, roomId: r1, labels: {team: blue}}\n- {appId: app, roomId: r2}');
    write('rooms/b.json', '[{"appId": "app", "roomId": "r3"}]');
    await source.pass();
    expect(active()).toEqual(['r1', 'r2', 'r3']);
    expect(registry.get('app', 'r1')?.labels).toEqual({ team: 'blue' });
    expect(o.passes).toEqual(['rooms/*.yaml', 'rooms/*.json']);

    write('rooms/a.yaml', '- {appId: app, roomId: r1, labels: {team: red}}\n- {appId: app, roomId: r4}');
    await source.pass();
    expect(active()).toEqual(['r1', 'r3', 'r4']);
    expect(registry.get('app', 'r1')?.labels).toEqual({ team: 'red' });
    expect(registry.get('app', 'r2')?.retiredAtMs).toBe(0);

    write('rooms/a.yaml', '- {appId: app, roomId: r1, labels: {"bad-label": x}}');
    o.passes.length = 0;
    await source.pass();
    await source.pass();
    expect(active()).toEqual(['r1', 'r3', 'r4']);
    expect(o.failed).toBe(2);
    expect(o.passes).toEqual(['rooms/*.json', 'rooms/*.json']); // the glob with the bad file does not succeed
    expect(log.lines().filter((l) => l.msg === 'discovery file is bad; keeping its previous rooms')).toHaveLength(1);

    write('rooms/a.yaml', '- {appId: app, roomId: r5}');
    await source.pass();
    expect(active()).toEqual(['r3', 'r5']);

    unlinkSync(join(dir, 'rooms/b.json'));
    await source.pass();
    expect(active()).toEqual(['r5']);
  });

  it('finds the directory to watch before the first wildcard', () => {
    expect(globBaseDir('rooms/*.yaml', '/etc/rtc')).toBe('/etc/rtc/rooms');
    expect(globBaseDir('/srv/a/**/b/*.json', '/x')).toBe('/srv/a');
    expect(globBaseDir('list.yaml', '/x')).toBe('/x');
  });
});

describe('HttpSource', () => {
  let server: Server;
  let url: string;
  let reply: { status: number; body: string; delayMs?: number; chunked?: boolean } = { status: 200, body: '[]' };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      const send = (): void => {
        if (reply.chunked) {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.write(reply.body);
          res.end(reply.body);
        } else {
          res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply.body) });
          res.end(reply.body);
        }
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rooms?token=s3cr3t`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('adds, changes and removes rooms; a failing or bad endpoint keeps the last good list', async () => {
    const registry = new RoomRegistry(60_000);
    const log = memoryLogger();
    const { o, observer: obs } = observer();
    const source = new HttpSource({ name: 'http:0', settings: { url, intervalSeconds: 60, timeoutMs: 1500, maxBytes: 200 }, context, registry, observer: obs, clock: new FakeClock(0), logger: log.logger });
    const active = (): string[] => registry.active().map((r) => r.roomId).sort();

    reply = { status: 200, body: JSON.stringify([{ appId: 'app', roomId: 'a', labels: { tier: 'gold' } }, { appId: 'app', roomId: 'b' }]) };
    await source.pass();
    expect(active()).toEqual(['a', 'b']);
    expect(registry.get('app', 'a')?.sources).toEqual(['http']);

    reply = { status: 200, body: JSON.stringify([{ appId: 'app', roomId: 'b' }, { appId: 'app', roomId: 'c' }]) };
    await source.pass();
    expect(active()).toEqual(['b', 'c']);

    for (const bad of [
      { status: 500, body: 'oops' },
      { status: 200, body: '[{"appId": "app"}]' },
      { status: 200, body: '[' + '{"appId":"app","roomId":"x"},'.repeat(20) + ']' },
      { status: 200, body: '[{"appId":"app","roomId":"y"}]'.padEnd(150, ' '), chunked: true },
      { status: 200, body: '[]', delayMs: 4000 },
    ]) {
      reply = bad;
      await source.pass();
      expect(active()).toEqual(['b', 'c']);
    }
    expect(o.failed).toBe(5);
    const problems = log.lines().filter((l) => l.msg === 'discovery endpoint failed; keeping its previous rooms').map((l) => String(l.problem));
    expect(problems).toEqual([
      'HTTP 500',
      expect.stringContaining('[0].roomId'),
      'body of 582 bytes is over maxBytes (200)',
      'body is over maxBytes (200)',
      'no complete answer within 1500 ms',
    ]);
    expect(JSON.stringify(log.lines())).not.toContain('s3cr3t');

    reply = { status: 200, body: '[]' };
    await source.pass();
    expect(active()).toEqual([]);
    expect(o.passes).toEqual([redact(url), redact(url), redact(url)]);
    expect(redact(url)).not.toContain('s3cr3t');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/** The built daemon taking its rooms from files and an HTTP endpoint, as Prometheus' file_sd and http_sd. */

const credentials = { accessKeyId: 'AKLTlists', secretAccessKey: 'lists-secret-never-printed' };

describe('discovery from files and HTTP against the simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-lists-'));
  let sim: Simulator;
  let server: Server;
  let daemon: RunningDaemon | undefined;
  let httpList: { status: number; body: string } = { status: 200, body: JSON.stringify([{ appId: 'app', roomId: 'h1', labels: { origin: 'api' } }]) };

  beforeAll(async () => {
    sim = new Simulator({
      credentials,
      recordServed: true,
      rooms: ['f1', 'f2', 'f3', 'h1', 'h2'].map((roomId) => ({ appId: 'app', roomId, visible: 1, churn: { paused: true } })),
    });
    const endpoint = await sim.start();
    server = createServer((_req, res) => {
      res.writeHead(httpList.status, { 'content-type': 'application/json' });
      res.end(httpList.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    writeFileSync(join(dir, 'a.yaml'), '- {appId: app, roomId: f1, labels: {team: blue}}\n- {appId: app, roomId: f2}\n');
    daemon = await startDaemon({
      credentials,
      config: {
        api: { endpoint, timeoutMs: 3000 },
        rateLimit: { qps: 10 },
        schedule: '*/1 * * * * *',
        events: { log: false },
        discovery: {
          files: [join(dir, '*.yaml')],
          // Long, so that the test sees the file watch at work rather than the periodic re-read.
          filesRefreshSeconds: 600,
          http: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rooms`, intervalSeconds: 1, timeoutMs: 1000 }],
          retireAfterSeconds: 2,
        },
      },
    });
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => (await fetch(`${daemon!.url}/metrics`)).text();
  const exported = (text: string): string[] => [...text.matchAll(/^rtc_room_exists\{app_id="app",room_id="([^"]+)"\} 1$/gm)].map((m) => m[1]!).sort();
  const until = (what: string, rooms: string[]) =>
    waitFor(what, async () => {
      const text = await scrape();
      return JSON.stringify(exported(text)) === JSON.stringify(rooms) ? text : undefined;
    }, { timeoutMs: 20_000 });

  it('polls the rooms of both, with their labels in rtc_room_info', async () => {
    const text = await until('f1, f2, h1 polled', ['f1', 'f2', 'h1']);
    expect(text).toMatch(/^rtc_room_info\{app_id="app",room_id="f1",account="default",source="file",team="blue"\} 1$/m);
    expect(text).toMatch(/^rtc_room_info\{app_id="app",room_id="h1",account="default",source="http",origin="api"\} 1$/m);
    expect(text).toMatch(/^rtc_discovery_rooms\{app_id="app",source="file"\} 2$/m);
    expect(sim.servedSnapshots('app', 'f3')).toEqual([]);
  });

  it('follows a changed file and a changed endpoint: added rooms are polled, removed ones retire and leave', async () => {
    writeFileSync(join(dir, 'a.yaml'), '- {appId: app, roomId: f1, labels: {team: red}}\n- {appId: app, roomId: f3}\n');
    httpList = { status: 200, body: JSON.stringify([{ appId: 'app', roomId: 'h2' }]) };
    const text = await until('f1, f3, h2 polled and f2, h1 gone', ['f1', 'f3', 'h2']);
    expect(text).toMatch(/^rtc_room_info\{app_id="app",room_id="f1",account="default",source="file",team="red"\} 1$/m);
    const polls = sim.servedSnapshots('app', 'f2').length;
    await waitFor('two more polls of f3', () => (sim.servedSnapshots('app', 'f3').length >= 3 ? true : undefined));
    expect(sim.servedSnapshots('app', 'f2').length).toBe(polls);
  });

  it('keeps the last good list when the file turns bad or the endpoint fails, and reports it', async () => {
    writeFileSync(join(dir, 'a.yaml'), '- {appId: app, roomId: f1\n');
    httpList = { status: 503, body: 'down' };
    await waitFor('file and http failures counted', async () => {
      const text = await scrape();
      const failed = (source: string): number => Number(new RegExp(`^rtc_discovery_requests_total\\{source="${source}",result="failure"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return failed('file') > 0 && failed('http') > 1 ? true : undefined;
    });
    expect(exported(await scrape())).toEqual(['f1', 'f3', 'h2']);
    const log = daemon!.process.output();
    expect(log).toContain('discovery file is bad; keeping its previous rooms');
    expect(log).toContain('discovery endpoint failed; keeping its previous rooms');
  });
});

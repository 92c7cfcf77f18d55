import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/** The webhook delivers from the committed log: a receiver that is down loses nothing, across kill -9. */

const credentials = { accessKeyId: 'AKLTwebhook', secretAccessKey: 'webhook-outbox-secret' };

interface Received {
  id: number;
  roomId: string;
}

describe('webhook delivery from the event log', () => {
  let dir: string;
  let sim: Simulator | undefined;
  let receiver: http.Server | undefined;
  const daemons: RunningDaemon[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-hook-'));
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop();
    await sim?.stop();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('receiver down while the daemon is killed and restarted: every event arrives at least once, in id order per room', async () => {
    let up = false;
    const got: Received[] = [];
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: Received[] };
        got.push(...body.events.map((e) => ({ id: e.id, roomId: e.roomId })));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const rooms: SimRoomSpec[] = ['w1', 'w2', 'w3'].map((roomId) => ({ appId: 'app', roomId, visible: 6, invisible: 2, churn: { joinsPerMinute: 120, leavesPerMinute: 120, visibilityChangesPerMinute: 60 } }));
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 5 });
    const endpoint = await sim.start();
    const eventsFile = join(dir, 'events.ndjson');
    const config = {
      api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
      rateLimit: { qps: 10 },
      schedule: '*/1 * * * * *',
      state: { file: join(dir, 'state.db') },
      events: { file: eventsFile, log: false, webhook: { url: hookUrl, batchSize: 10, flushIntervalMs: 200, maxRetries: 1, timeoutMs: 1000 } },
      rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
    };
    const fileIds = (): number[] => {
      try {
        return readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as Received).id);
      } catch {
        return [];
      }
    };

    let daemon = await startDaemon({ credentials, config });
    daemons.push(daemon);
    await waitFor('events committed while the receiver is down', () => (fileIds().length >= 10 ? true : undefined), { timeoutMs: 30_000 });
    process.kill(daemon.process.pid!, 'SIGKILL');
    await daemon.process.waitForExit();
    await daemon.stop();
    daemons.pop();
    daemon = await startDaemon({ credentials, config });
    daemons.push(daemon);
    await waitFor('more events after the restart', () => (fileIds().length >= 20 ? true : undefined), { timeoutMs: 30_000 });
    up = true;
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    await new Promise((r) => setTimeout(r, 2500)); // two more cycles: every change is committed
    const expected = fileIds();
    await waitFor('every committed event at the receiver', () => {
      const ids = new Set(got.map((g) => g.id));
      return expected.every((id) => ids.has(id)) ? true : undefined;
    }, { timeoutMs: 60_000 });

    for (const r of rooms) {
      const firsts: number[] = [];
      const seen = new Set<number>();
      for (const g of got.filter((x) => x.roomId === r.roomId)) {
        if (seen.has(g.id)) continue;
        seen.add(g.id);
        firsts.push(g.id);
      }
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
    expect(expected.length).toBeGreaterThanOrEqual(20);
  }, 150_000);
});

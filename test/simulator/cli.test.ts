import axios from 'axios';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulator } from '../../src/simulator/cli';
import { DEMO_CREDENTIALS } from '../../src/simulator';
import { parseSimConfig } from '../../src/simulator/sim-config';
import { Agent } from 'node:https';
import { makeThrowawayCa } from '../support/throwaway-ca';
import { call, json, roomQuery } from './sim-client';

async function startCli(argv: string[]): Promise<{ url: string; stop: () => Promise<string[]> }> {
  const lines: string[] = [];
  const controller = new AbortController();
  let announce: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (announce = resolve));
  const done = runSimulator(argv, {
    signal: controller.signal,
    log: (line) => {
      lines.push(line);
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) announce(m[1]);
    },
  });
  const url = await Promise.race([listening, done.then(() => Promise.reject(new Error(lines.join('\n'))))]);
  return {
    url,
    stop: async () => {
      controller.abort();
      await done;
      return lines;
    },
  };
}

describe('runSimulator', () => {
  const saved = { ak: process.env.VOLC_ACCESSKEY, sk: process.env.VOLC_SECRETKEY };
  beforeEach(() => {
    delete process.env.VOLC_ACCESSKEY;
    delete process.env.VOLC_SECRETKEY;
  });
  afterAll(() => {
    if (saved.ak !== undefined) process.env.VOLC_ACCESSKEY = saved.ak;
    if (saved.sk !== undefined) process.env.VOLC_SECRETKEY = saved.sk;
  });

  it('serves HTTPS with --tls-cert / --tls-key, and wants both or neither', async () => {
    const ca = makeThrowawayCa();
    try {
      const cli = await startCli(['--port', '0', '--tls-cert', ca.certFile, '--tls-key', ca.keyFile]);
      expect(cli.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const agent = new Agent({ ca: ca.caPem });
      const stats = (await axios.get(`${cli.url}/_sim/stats`, { httpsAgent: agent })).data as { tlsHandshakes: number; connections: number };
      expect(stats.tlsHandshakes).toBe(1);
      expect(stats.connections).toBe(1);
      agent.destroy();
      await cli.stop();
      await expect(runSimulator(['--port', '0', '--tls-cert', ca.certFile])).rejects.toThrow('--tls-cert and --tls-key: give both, or neither');
      await expect(runSimulator(['--port', '0', '--tls-cert', ca.certFile, '--tls-key', '/nonexistent/key.pem'])).rejects.toThrow('--tls-key: cannot read /nonexistent/key.pem: ENOENT');
    } finally {
      ca.remove();
    }
  });

  it('serves the built-in demo world with the demo key and stops on abort', async () => {
    const cli = await startCli(['--port', '0']);
    const rooms = (await axios.get(`${cli.url}/_sim/rooms`)).data as { roomId: string }[];
    expect(rooms.map((r) => r.roomId).sort()).toEqual(['ghost', 'lobby', 'popup', 'quiet', 'stage']);
    const lobby = await call(cli.url, { credentials: DEMO_CREDENTIALS, query: roomQuery('demo-app', 'lobby') });
    expect(json(lobby).Result).toMatchObject({ RoomExists: true });
    const ghost = await call(cli.url, { credentials: DEMO_CREDENTIALS, query: roomQuery('demo-app', 'ghost') });
    expect(json(ghost).Result).toEqual({ RoomExists: false });
    const lines = await cli.stop();
    expect(lines[0]).toContain('access key AKLTsimulatordemo');
    expect(lines.at(-1)).toBe('rtc simulator stopped');
  });

  it('takes the world from --config and the key from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    try {
      const file = join(dir, 'sim.yaml');
      writeFileSync(file, 'seed: 3\nrooms:\n  - {appId: a, roomId: r, visible: 2, invisible: 1}\n');
      process.env.VOLC_ACCESSKEY = 'AKLTenv';
      process.env.VOLC_SECRETKEY = 'env-secret';
      const cli = await startCli(['--port', '0', '--config', file]);
      const res = await call(cli.url, {
        credentials: { accessKeyId: 'AKLTenv', secretAccessKey: 'env-secret' },
        query: roomQuery('a', 'r'),
      });
      expect(json(res).Result).toMatchObject({ TotalUser: 3, TotalInvisibleUser: 1 });
      const demo = await call(cli.url, { credentials: DEMO_CREDENTIALS, query: roomQuery('a', 'r') });
      expect(demo.status).toBe(401);
      await cli.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses half a key pair and a bad port', async () => {
    process.env.VOLC_ACCESSKEY = 'AKLTonly';
    await expect(runSimulator(['--port', '0'], { log: () => undefined })).rejects.toThrow('VOLC_SECRETKEY');
    await expect(runSimulator(['--port', 'x'], { log: () => undefined })).rejects.toThrow('--port');
  });
});

describe('parseSimConfig', () => {
  it.each([
    ['rooms: []', 'rooms: Too small'],
    ['rooms: [{appId: a}]', 'rooms.0.roomId'],
    ['rooms: [{appId: a, roomId: r, visible: -1}]', 'rooms.0.visible'],
    ['rooms: [{appId: a, roomId: r}]\nfaults: {hang: 3}', 'faults.hang'],
    ['rooms: [{appId: a, roomId: r, churn: {closeProbabilityPerMinute: 1}}]', 'rooms.0.churn.closeProbabilityPerMinute'],
    ['rooms: [{appId: a, roomId: r}]\nbogus: 1', 'unknown key(s) bogus'],
    ['rooms: [{appId: a', 'sim.yaml'],
  ])('rejects %j naming the problem', (text, expected) => {
    expect(() => parseSimConfig(text, 'sim.yaml')).toThrow(expected);
  });

  it('accepts a full file', () => {
    const cfg = parseSimConfig(
      [
        'seed: 1',
        'capQps: 20',
        'defaultChurn: {joinsPerMinute: 6, leavesPerMinute: 6}',
        'faults: {status500: 0.05, latencyMs: 10}',
        'rooms:',
        '  - {appId: a, roomId: r, visible: 3, exists: true, churn: {paused: true}}',
      ].join('\n'),
    );
    expect(cfg).toMatchObject({ capQps: 20, faults: { status500: 0.05 }, rooms: [{ roomId: 'r', visible: 3 }] });
  });
});

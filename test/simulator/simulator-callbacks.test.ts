import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEnvelope } from '../../src/callbacks/envelope';
import { parseMemberCallback } from '../../src/callbacks/member-callback';
import { verifyCallbackSignature } from '../../src/callbacks/signature';
import { Simulator } from '../../src/simulator';
import { handleControl } from '../../src/simulator/control';
import { waitFor } from '../support/wait-for';

const CREDS = { accessKeyId: 'AK', secretAccessKey: 'SK' };

describe('simulator callbacks', () => {
  let receiver: Server;
  let bodies: string[];
  let url: string;
  let status = 200;

  beforeEach(async () => {
    bodies = [];
    status = 200;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        if (status === 200) bodies.push(body);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/rtc`;
  });
  afterEach(() => new Promise<void>((r) => receiver.close(() => r())));

  it('pushes a signed callback for every change, and replaying them gives the world', async () => {
    const sim = new Simulator({ credentials: CREDS, rooms: [{ appId: 'a', roomId: 'r', visible: 2 }], defaultChurn: { joinsPerMinute: 1200, leavesPerMinute: 1200, visibilityChangesPerMinute: 300 }, callbacks: { url, secret: 'cbs' } });
    const initial = sim.world.snapshot('a', 'r').visible;
    await sim.start();
    try {
      await waitFor('30 callbacks', () => (bodies.length >= 30 ? true : undefined), { intervalMs: 20 });
      sim.world.setChurn({ paused: true });
      const announced = sim.callbackStats()!.changes;
      await waitFor('every announced change delivered', () => (sim.callbackStats()!.delivered === announced && bodies.length === announced ? true : undefined), { intervalMs: 20 });
    } finally {
      await sim.stop();
    }
    const members = new Map<string, string>(initial.map((u) => [u, 'visible']));
    // Concurrent POSTs may land in any order; the ids say the order of the changes.
    const seq = (b: string): number => Number((JSON.parse(b) as { EventId: string }).EventId.slice('sim-'.length));
    for (const body of [...bodies].sort((x, y) => seq(x) - seq(y))) {
      const env = parseEnvelope(body);
      if (!env.ok) throw new Error(env.reason);
      expect(verifyCallbackSignature(env.envelope, 'cbs', env.envelope.Signature)).toBe(true);
      const cb = parseMemberCallback(env.envelope.EventType, env.envelope.EventData);
      if (!cb.ok || cb.callback.kind !== 'member') throw new Error('not a member callback');
      if (cb.callback.present) members.set(cb.callback.userId, cb.callback.visibility);
      else members.delete(cb.callback.userId);
    }
    const world = sim.world.snapshot('a', 'r');
    const expected = new Map<string, string>([...world.visible.map((u): [string, string] => [u, 'visible']), ...world.invisible.map((u): [string, string] => [u, 'invisible'])]);
    expect(Object.fromEntries(members)).toEqual(Object.fromEntries(expected));
  });

  it('a member added through the control endpoint is announced, and callback faults can be changed there', async () => {
    const sim = new Simulator({ credentials: CREDS, rooms: [{ appId: 'a', roomId: 'r' }], callbacks: { url, secret: 'cbs' } });
    await sim.start();
    try {
      expect(handleControl(sim, 'POST', '/_sim/callbacks', '{"lossProbability": 1}').status).toBe(200);
      expect(handleControl(sim, 'POST', '/_sim/callbacks', '{"lossProbability": 2}')).toEqual({ status: 400, body: { error: 'lossProbability: must be a number from 0 to 1' } });
      expect(handleControl(sim, 'POST', '/_sim/callbacks', '{"bogus": 1}').status).toBe(400);
      sim.world.addMember('a', 'r', 'lost-one', 'visible');
      handleControl(sim, 'POST', '/_sim/callbacks', '{"lossProbability": 0}');
      sim.world.addMember('a', 'r', 'u9', 'invisible');
      await waitFor('the callback', () => (bodies.length === 1 ? true : undefined), { intervalMs: 20 });
      const stats = handleControl(sim, 'GET', '/_sim/stats', '').body as { callbacks: { changes: number; lost: number } };
      expect(stats.callbacks).toMatchObject({ changes: 2, lost: 1 });
    } finally {
      await sim.stop();
    }
    const env = parseEnvelope(bodies[0]!);
    expect(env.ok && env.envelope.EventType).toBe('InvisibleUserJoinRoom');
  });

  it('a simulator without callbacks refuses the callback settings', () => {
    const sim = new Simulator({ credentials: CREDS, rooms: [{ appId: 'a', roomId: 'r' }] });
    expect(handleControl(sim, 'POST', '/_sim/callbacks', '{}').status).toBe(400);
    expect(handleControl(sim, 'GET', '/_sim/stats', '').body).not.toHaveProperty('callbacks');
  });
});

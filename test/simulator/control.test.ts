import axios from 'axios';
import { Simulator } from '../../src/simulator';
import { call, TEST_CREDENTIALS } from './sim-client';

describe('Simulator control endpoints', () => {
  let sim: Simulator;
  let url: string;
  let now = 1_700_000_000_000;
  const http = axios.create({ validateStatus: () => true });

  beforeEach(async () => {
    sim = new Simulator({
      credentials: TEST_CREDENTIALS,
      now: () => now,
      rooms: [
        { appId: 'app', roomId: 'room', visible: 2, invisible: 1 },
        { appId: 'app', roomId: 'a/b c', visible: 1 },
      ],
    });
    url = await sim.start();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('GET /_sim/stats reports API traffic only', async () => {
    await call(url, { date: new Date(now) });
    await http.get(`${url}/_sim/stats`);
    const res = await http.get(`${url}/_sim/stats`);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ requests: 1, byCode: { Success: 1 }, maxRequestsInAnyWindow: 1, served: 1 });
  });

  it('POST /_sim/faults updates faults and rejects bad input with 400', async () => {
    const ok = await http.post(`${url}/_sim/faults`, { status500: 1, latencyMs: 5 });
    expect(ok.status).toBe(200);
    expect(ok.data).toMatchObject({ status500: 1, latencyMs: 5, hang: 0 });
    expect((await call(url, { date: new Date(now) })).status).toBe(500);

    const bad = await http.post(`${url}/_sim/faults`, { hang: 'often' });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toContain('faults.hang');
    const notJson = await http.post(`${url}/_sim/faults`, '{oops', { headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await http.get(`${url}/_sim/faults`)).data).toMatchObject({ status500: 1 });
  });

  it('GET /_sim/rooms lists rooms and /_sim/rooms/:appId/:roomId shows one (ids URL-encoded)', async () => {
    const list = await http.get(`${url}/_sim/rooms`);
    expect(list.data).toEqual([
      { appId: 'app', roomId: 'room' },
      { appId: 'app', roomId: 'a/b c' },
    ]);
    const one = await http.get(`${url}/_sim/rooms/app/${encodeURIComponent('a/b c')}`);
    expect(one.data).toMatchObject({ exists: true, visible: ['u_a/b c_1'], invisible: [], visibleCount: 1 });
    expect(one.data.churn).toMatchObject({ joinsPerMinute: 0, paused: false });
  });

  it('POST /_sim/rooms/:appId/:roomId/close and /open toggle a room', async () => {
    const closed = await http.post(`${url}/_sim/rooms/app/room/close`);
    expect(closed.data).toMatchObject({ exists: false, visibleCount: 0 });
    const opened = await http.post(`${url}/_sim/rooms/app/room/open`);
    expect(opened.data).toMatchObject({ exists: true, visibleCount: 0 });
  });

  it('POST /_sim/rooms/:appId/:roomId/members adds a member, creating an unknown room, and rejects bad input', async () => {
    const joined = await http.post(`${url}/_sim/rooms/app/room/members`, { userId: 'newcomer' });
    expect(joined.status).toBe(200);
    expect(joined.data.visible).toContain('newcomer');
    const moved = await http.post(`${url}/_sim/rooms/app/room/members`, { userId: 'newcomer', visibility: 'invisible' });
    expect(moved.data.invisible).toContain('newcomer');
    expect(moved.data.visible).not.toContain('newcomer');

    const hostile = '<img src=x onerror=alert(1)>';
    const created = await http.post(`${url}/_sim/rooms/app/${encodeURIComponent(hostile)}/members`, { userId: hostile });
    expect(created.status).toBe(200);
    expect(sim.world.snapshot('app', hostile)).toMatchObject({ exists: true, visible: [hostile] });

    expect((await http.post(`${url}/_sim/rooms/app/room/members`, { visibility: 'visible' })).status).toBe(400);
    expect((await http.post(`${url}/_sim/rooms/app/room/members`, { userId: 'x', visibility: 'hidden' })).status).toBe(400);
    await http.post(`${url}/_sim/rooms/app/room/close`);
    const closed = await http.post(`${url}/_sim/rooms/app/room/members`, { userId: 'late' });
    expect(closed.status).toBe(400);
    expect(closed.data.error).toMatch(/closed/);
  });

  it('POST /_sim/churn changes one room or the default', async () => {
    const one = await http.post(`${url}/_sim/churn`, { appId: 'app', roomId: 'room', joinsPerMinute: 600 });
    expect(one.status).toBe(200);
    expect(one.data.churn).toMatchObject({ joinsPerMinute: 600 });
    now += 60_000;
    const grown = sim.world.snapshot('app', 'room');
    expect(grown.visibleCount + grown.invisibleCount).toBeGreaterThan(400);
    expect(sim.world.snapshot('app', 'a/b c').visibleCount).toBe(1);

    expect((await http.post(`${url}/_sim/churn`, { paused: true })).status).toBe(200);
    expect(sim.world.churnOf('app', 'a/b c')?.paused).toBe(true);
    expect((await http.post(`${url}/_sim/churn`, { joinsPerMinute: -1 })).status).toBe(400);
    expect((await http.post(`${url}/_sim/churn`, { appId: 'app' })).status).toBe(400);
  });

  it('answers 404 for unknown control paths', async () => {
    expect((await http.get(`${url}/_sim/nope`)).status).toBe(404);
    expect((await http.delete(`${url}/_sim/stats`)).status).toBe(404);
  });
});

import { Simulator, SimulatorOptions } from '../../src/simulator';
import { call, json, roomQuery, TEST_CREDENTIALS } from './sim-client';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('Simulator API', () => {
  let sim: Simulator;
  let url: string;
  let now = T0;

  async function startWith(over: Partial<SimulatorOptions> = {}): Promise<void> {
    now = T0;
    sim = new Simulator({
      credentials: TEST_CREDENTIALS,
      now: () => now,
      recordServed: true,
      rooms: [
        { appId: 'app', roomId: 'room', visible: 3, invisible: 1 },
        { appId: 'app', roomId: 'ghost', exists: false },
      ],
      ...over,
    });
    url = await sim.start();
  }

  afterEach(async () => {
    await sim.stop();
  });

  it('answers GetRoomOnlineUsers in the vendor shape', async () => {
    await startWith();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await call(url, { date: new Date(now) });
    expect(res.status).toBe(200);
    const body = json(res);
    expect(Object.keys(body.ResponseMetadata).sort()).toEqual(['Action', 'Region', 'RequestId', 'Service', 'Version']);
    expect(body.ResponseMetadata).toMatchObject({
      Action: 'GetRoomOnlineUsers',
      Version: '2023-08-01',
      Service: 'rtc',
      Region: 'cn-north-1',
    });
    expect(body.Result).toEqual({
      RoomExists: true,
      TotalUser: 4,
      TotalInvisibleUser: 1,
      VisibleUserList: expect.arrayContaining(['u_room_1', 'u_room_2', 'u_room_3']),
      InvisibleUserList: ['u_room_4'],
    });

    const newer = await call(url, { date: new Date(now), query: { ...roomQuery('app', 'room'), Version: '2023-11-01' } });
    expect(newer.status).toBe(200);
    expect(json(newer).ResponseMetadata.RequestId).not.toBe(body.ResponseMetadata.RequestId);
  });

  it('answers a room that does not exist with RoomExists false only', async () => {
    await startWith();
    for (const roomId of ['ghost', 'never-configured']) {
      const res = await call(url, { date: new Date(now), query: roomQuery('app', roomId) });
      expect(res.status).toBe(200);
      expect(json(res).Result).toEqual({ RoomExists: false });
    }
  });

  it('rejects a tampered request with 401 SignatureDoesNotMatch and counts it', async () => {
    await startWith();
    const res = await call(url, { date: new Date(now), mutate: (r) => (r.query.RoomId = 'ghost') });
    expect(res.status).toBe(401);
    expect(json(res).ResponseMetadata.Error).toMatchObject({ Code: 'SignatureDoesNotMatch', CodeN: expect.any(Number) });
    expect(json(res).Result).toBeUndefined();

    const unknown = await call(url, {
      date: new Date(now),
      credentials: { accessKeyId: 'AKLTnobody', secretAccessKey: 'x' },
    });
    expect(unknown.status).toBe(401);
    expect(json(unknown).ResponseMetadata.Error?.Code).toBe('InvalidAccessKey');

    const stale = await call(url, { date: new Date(now - 16 * 60_000) });
    expect(stale.status).toBe(400);
    expect(json(stale).ResponseMetadata.Error?.Code).toBe('InvalidTimestamp');

    expect(sim.stats()).toMatchObject({
      requests: 3,
      signatureFailures: 1,
      byCode: { SignatureDoesNotMatch: 1, InvalidAccessKey: 1, InvalidTimestamp: 1 },
    });
  });

  it.each([
    ['another action', { Action: 'ListRooms' }, 'InvalidActionOrVersion'],
    ['an unknown version', { Version: '2020-01-01' }, 'InvalidActionOrVersion'],
    ['an empty RoomId', { RoomId: '' }, 'MissingParameter'],
    ['a 129-character AppId', { AppId: 'x'.repeat(129) }, 'InvalidParameter'],
  ])('answers %s with 400 %s', async (_name, change, code) => {
    await startWith();
    const res = await call(url, { date: new Date(now), query: { ...roomQuery('app', 'room'), ...change } });
    expect(res.status).toBe(400);
    expect(json(res).ResponseMetadata.Error?.Code).toBe(code);
  });

  it('caps accepted requests per rolling second with 429 FlowLimitExceeded', async () => {
    await startWith();
    const burst = await Promise.all(Array.from({ length: 45 }, () => call(url, { date: new Date(now) })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const throttled = burst.find((r) => r.status === 429);
    expect(json(throttled!).ResponseMetadata.Error?.Code).toBe('FlowLimitExceeded');

    now = T0 + 999;
    expect((await call(url, { date: new Date(now) })).status).toBe(429);
    now = T0 + 1000;
    expect((await call(url, { date: new Date(now) })).status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 47, throttled: 6, maxRequestsInAnyWindow: 46, served: 41 });
  });

  it('truncates the invisible list at 10,000 while reporting the true count', async () => {
    await startWith({ rooms: [{ appId: 'app', roomId: 'big', visible: 7, invisible: 10_005 }] });
    const res = await call(url, { date: new Date(now), query: roomQuery('app', 'big') });
    const result = json(res).Result as { TotalUser: number; TotalInvisibleUser: number; InvisibleUserList: string[] };
    expect(result.InvisibleUserList).toHaveLength(10_000);
    expect(result.TotalInvisibleUser).toBe(10_005);
    expect(result.TotalUser).toBe(10_012);
    const served = sim.servedSnapshots('app', 'big');
    expect(served[0]).toMatchObject({ totalInvisibleUser: 10_005, totalUser: 10_012 });
    expect(served[0]?.invisible).toHaveLength(10_000);
  });

  it('honours a configured maxInvisibleList', async () => {
    await startWith({ maxInvisibleList: 2 });
    const res = await call(url, { date: new Date(now), query: roomQuery('app', 'room') });
    expect(json(res).Result).toMatchObject({ TotalInvisibleUser: 1, InvisibleUserList: ['u_room_4'] });
    sim.world.addMember('app', 'room', 'shy1', 'invisible');
    sim.world.addMember('app', 'room', 'shy2', 'invisible');
    const again = await call(url, { date: new Date(now), query: roomQuery('app', 'room') });
    expect(json(again).Result).toMatchObject({ TotalUser: 6, TotalInvisibleUser: 3 });
    expect((json(again).Result as { InvisibleUserList: string[] }).InvisibleUserList).toHaveLength(2);
  });

  it('records what it served, in order, as the test oracle', async () => {
    await startWith();
    await call(url, { date: new Date(now) });
    now += 5000;
    sim.world.addMember('app', 'room', 'alice', 'visible');
    sim.world.setVisibility('app', 'room', 'u_room_4', 'visible');
    await call(url, { date: new Date(now) });
    sim.world.closeRoom('app', 'room');
    await call(url, { date: new Date(now) });
    const served = sim.servedSnapshots('app', 'room');
    expect(served.map((s) => [s.at, s.exists, s.totalUser, s.totalInvisibleUser])).toEqual([
      [T0, true, 4, 1],
      [T0 + 5000, true, 5, 0],
      [T0 + 5000, false, 0, 0],
    ]);
    expect(served[1]?.visible).toEqual(expect.arrayContaining(['alice', 'u_room_4']));
    expect(sim.servedSnapshots('app', 'nobody-asked')).toEqual([]);
  });
});

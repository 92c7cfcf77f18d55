import { Simulator } from '../../src/simulator';
import { parseSimConfig } from '../../src/simulator/sim-config';
import { VolcClient } from '../../src/volc/client';
import { Credentials } from '../../src/volc/credentials';
import { ApiError } from '../../src/volc/errors';
import { rfc3339 } from '../../src/volc/list-room-info';
import { call, json, roomQuery, TEST_CREDENTIALS } from './sim-client';

const MIN = 60_000;

describe('simulator ListRoomInfo', () => {
  let now = Date.UTC(2026, 10, 30, 12, 0, 0);
  let sim: Simulator;
  let url: string;
  const t0 = now;

  beforeAll(async () => {
    sim = new Simulator({
      credentials: TEST_CREDENTIALS,
      rooms: [],
      now: () => now,
      dataDelayMs: 20_000,
      maxListable: 5,
      calls: [
        { appId: 'app', roomId: 'old-done', startMs: t0 - 60 * MIN, endMs: t0 - 30 * MIN },
        { appId: 'app', roomId: 'running', startMs: t0 - 10 * MIN, visible: 3 },
        { appId: 'app', roomId: 'fresh', startMs: t0 - 10_000 },
        { appId: 'app', roomId: 'ends-soon', startMs: t0 - 5 * MIN, endMs: t0 + MIN },
        { appId: 'other', roomId: 'elsewhere', startMs: t0 - MIN },
        { appId: 'ancient', roomId: 'x', startMs: t0 - 20 * 24 * 60 * MIN },
      ],
    });
    url = await sim.start();
  });
  afterAll(() => sim.stop());
  // Each test starts in a fresh rolling second of the simulator's 10-per-second cap.
  beforeEach(() => {
    now += 1001;
  });

  const list = (extra: Record<string, string>) =>
    call(url, { date: new Date(now), query: { Action: 'ListRoomInfo', Version: '2020-12-01', AppId: 'app', StartTime: rfc3339(now - 2 * 60 * MIN), EndTime: rfc3339(now), ...extra } });

  it('lists the calls created in the range that the data delay lets through, live ones without DestroyTime', async () => {
    const body = json(await list({}));
    expect(body.Result).toMatchObject({ Total: 3, PageNum: 1, PageSize: 20, HasMore: false });
    const rooms = body.Result!.RoomList as { RoomId: string; IsFinished: boolean; DestroyTime: string; CreatedTime: string; ActiveUserNum: number }[];
    expect(rooms.map((r) => [r.RoomId, r.IsFinished, r.DestroyTime])).toEqual([
      ['old-done', true, rfc3339(t0 - 30 * MIN)],
      ['running', false, ''],
      ['ends-soon', false, ''],
    ]);
    expect(rooms[1]!.ActiveUserNum).toBe(3);
    expect(rooms[1]!.CreatedTime).toBe(rfc3339(t0 - 10 * MIN));
  });

  it('GetRoomOnlineUsers follows the calls: the room exists while its call runs', async () => {
    expect(json(await call(url, { date: new Date(now), query: roomQuery('app', 'running') })).Result).toMatchObject({ RoomExists: true, TotalUser: 3 });
    expect(json(await call(url, { date: new Date(now), query: roomQuery('app', 'old-done') })).Result).toEqual({ RoomExists: false });
  });

  it.each([
    [{ StartTime: '' }, 'MissingParameter'],
    [{ StartTime: '2026-11-30 10:00:00' }, 'InvalidParameter'],
    [{ EndTime: '30/11/2026' }, 'InvalidParameter'],
    [{ StartTime: rfc3339(Date.UTC(2026, 10, 30, 13)), EndTime: rfc3339(Date.UTC(2026, 10, 30, 12)) }, 'InvalidParameter'],
    [{ StartTime: rfc3339(Date.UTC(2026, 10, 10)) }, 'InvalidParameter'],
    [{ PageSize: '101' }, 'InvalidParameter'],
    [{ PageNum: '0' }, 'InvalidParameter'],
    [{ Version: '2019-01-01' }, 'InvalidActionOrVersion'],
  ])('rejects %o with %s', async (extra, code) => {
    const res = await list(extra);
    expect(res.status).toBe(400);
    expect(json(res).ResponseMetadata.Error?.Code).toBe(code);
  });

  it('cuts a range longer than 24 h to its first 24 h', async () => {
    const body = json(await list({ StartTime: rfc3339(t0 - 13 * 24 * 60 * MIN), EndTime: rfc3339(now) }));
    expect(body.Result).toMatchObject({ Total: 0 });
  });

  it('says HasMore when a range holds more calls than paging may return, and pages the rest', async () => {
    for (let i = 0; i < 6; i++) sim.timeline.add({ appId: 'busy', roomId: `b${i}`, startMs: t0 - 30 * MIN + i * 1000 });
    const first = json(await call(url, { date: new Date(now), query: { Action: 'ListRoomInfo', Version: '2023-11-01', AppId: 'busy', StartTime: rfc3339(t0 - 60 * MIN), EndTime: rfc3339(now), PageSize: '2' } }));
    expect(first.Result).toMatchObject({ Total: 6, HasMore: true });
    const narrow = json(await call(url, { date: new Date(now), query: { Action: 'ListRoomInfo', Version: '2023-11-01', AppId: 'busy', StartTime: rfc3339(t0 - 30 * MIN), EndTime: rfc3339(t0 - 30 * MIN + 2000), PageSize: '2', PageNum: '2' } }));
    expect(narrow.Result).toMatchObject({ Total: 3, HasMore: false, PageNum: 2 });
    expect((narrow.Result!.RoomList as unknown[]).length).toBe(1);
  });

  it('answers 429 over 10 requests in a rolling second, counted apart from GetRoomOnlineUsers', async () => {
    const before = sim.listRoomInfoStats();
    const roomBefore = sim.stats().requests;
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push((await list({})).status);
    expect(codes.filter((c) => c === 429)).toHaveLength(2);
    expect(sim.listRoomInfoStats().throttled - before.throttled).toBe(2);
    expect(sim.stats().requests).toBe(roomBefore);
  });

  it('is reachable through VolcClient.listRoomInfo, and the client parses the page', async () => {
    now += 2000;
    const client = new VolcClient({ endpoint: url, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 2000, credentials: new Credentials(TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey), now: () => new Date(now) });
    const page = await client.listRoomInfo({ appId: 'app', startMs: now - 2 * 60 * MIN, endMs: now, pageNum: 1, pageSize: 100 });
    expect(page.calls.map((c) => [c.roomId, c.finished])).toEqual([
      ['old-done', true],
      ['running', false],
      ['ends-soon', false],
      ['fresh', false], // its data delay has passed by now
    ]);
    expect(page.calls[0]!.destroyedMs).toBe(t0 - 30 * MIN);
    const err = await client.listRoomInfo({ appId: 'app', startMs: now - 20 * 24 * 60 * MIN, endMs: now, pageNum: 1, pageSize: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('InvalidParameter');
    expect((err as ApiError).retryable).toBe(false);
  });
});

describe('simulator config file: calls', () => {
  it('turns call times in seconds from the start into a timeline, and rejects a call that ends before it starts', () => {
    const before = Date.now();
    const cfg = parseSimConfig('rooms: [{appId: a, roomId: r}]\ndataDelayMs: 500\nshape: byteplus\ncalls:\n  - {appId: a, roomId: c1, startSeconds: -60, endSeconds: 30, visible: 4}\n  - {appId: a, roomId: c2, startSeconds: 5}\n');
    expect(cfg.dataDelayMs).toBe(500);
    expect(cfg.shape).toBe('byteplus');
    const [c1, c2] = cfg.calls!;
    expect(c1!.startMs).toBeGreaterThanOrEqual(before - 60_000);
    expect(c1!.endMs! - c1!.startMs).toBe(90_000);
    expect(c2!.endMs).toBeUndefined();
    expect(() => parseSimConfig('rooms: [{appId: a, roomId: r}]\ncalls: [{appId: a, roomId: c, startSeconds: 10, endSeconds: 5}]')).toThrow('calls.0.endSeconds: endSeconds must be >= startSeconds');
  });
});

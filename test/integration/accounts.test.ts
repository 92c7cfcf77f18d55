import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/**
 * Two accounts in one daemon: a Volcengine-shaped one and a BytePlus-shaped one (region ap-singapore-1,
 * Version 2023-11-01, `RoomExist`), each a simulator of its own with its own key pair and cap. Each
 * account has its own limiters, so their rooms are polled in parallel, each under its own cap.
 */

const volc = { accessKeyId: 'AKLTvolcaccount', secretAccessKey: 'volc-secret-never-printed' };
const bp = { accessKeyId: 'AKLTbytepluskey', secretAccessKey: 'byteplus-secret-never-printed' };
const QPS = 20;
/** The simulators' caps: a little above the configured rate, so only a limiter shared by mistake (or none) trips them. */
const SIM_CAP = 25;
const ROOMS = 40;

describe('two accounts, one BytePlus-shaped', () => {
  let volcSim: Simulator;
  let bpSim: Simulator;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    const t0 = Date.now();
    volcSim = new Simulator({
      credentials: volc,
      capQps: SIM_CAP,
      recordServed: true,
      rooms: Array.from({ length: ROOMS }, (_, i) => ({ appId: 'volc-app', roomId: `v${i}`, visible: 2, churn: { paused: true } })),
    });
    bpSim = new Simulator({
      credentials: bp,
      region: 'ap-singapore-1',
      shape: 'byteplus',
      capQps: SIM_CAP,
      recordServed: true,
      dataDelayMs: 500,
      rooms: Array.from({ length: ROOMS }, (_, i) => ({ appId: 'bp-app', roomId: `b${i}`, visible: 3, churn: { paused: true } })),
      calls: [{ appId: 'bp-live', roomId: 'show-1', startMs: t0 - 60_000, visible: 4 }],
    });
    const [volcUrl, bpUrl] = await Promise.all([volcSim.start(), bpSim.start()]);
    daemon = await startDaemon({
      // The default pair is set too (startDaemon always sets it); with `accounts` it is not used.
      credentials: { accessKeyId: 'AKLTunused', secretAccessKey: 'unused-default-secret' },
      env: { LOG_LEVEL: 'info', VOLC_AK: volc.accessKeyId, VOLC_SK: volc.secretAccessKey, BP_AK: bp.accessKeyId, BP_SK: bp.secretAccessKey },
      config: {
        api: { endpoint: volcUrl },
        accounts: [
          { name: 'volc', accessKeyEnv: 'VOLC_AK', secretKeyEnv: 'VOLC_SK', api: { endpoint: volcUrl, timeoutMs: 3000 }, rateLimit: { qps: QPS } },
          {
            name: 'bp',
            accessKeyEnv: 'BP_AK',
            secretKeyEnv: 'BP_SK',
            api: { endpoint: bpUrl, region: 'ap-singapore-1', version: '2023-11-01', listRoomInfoVersion: '2023-11-01', timeoutMs: 3000 },
            rateLimit: { qps: QPS },
          },
        ],
        schedule: '*/1 * * * * *',
        events: { log: false },
        discovery: { listRoomInfo: { apps: [{ appId: 'bp-live', account: 'bp' }], intervalSeconds: 1, lookbackHours: 1 } },
        rooms: [
          ...Array.from({ length: ROOMS }, (_, i) => ({ appId: 'volc-app', roomId: `v${i}`, account: 'volc' })),
          ...Array.from({ length: ROOMS }, (_, i) => ({ appId: 'bp-app', roomId: `b${i}`, account: 'bp' })),
        ],
      },
    });
    // Enough cycles that both accounts run flat out for a while (each cycle is 40 rooms at 20 qps ≈ 2 s).
    await waitFor('8 polls of the last room of each account', () =>
      volcSim.servedSnapshots('volc-app', `v${ROOMS - 1}`).length >= 8 && bpSim.servedSnapshots('bp-app', `b${ROOMS - 1}`).length >= 8 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await Promise.all([volcSim?.stop(), bpSim?.stop()]);
  });

  const arrivals = (sim: Simulator, appId: string, prefix: string): number[] =>
    Array.from({ length: ROOMS }, (_, i) => sim.servedSnapshots(appId, `${prefix}${i}`).map((s) => s.at)).flat().sort((a, b) => a - b);

  it('polls both accounts in parallel: in some rolling second each account alone is near its own cap', () => {
    const v = arrivals(volcSim, 'volc-app', 'v');
    const b = arrivals(bpSim, 'bp-app', 'b');
    const inWindow = (list: number[], from: number): number => list.filter((t) => t >= from && t < from + 1000).length;
    // Together more than one account's cap in one second: impossible through one shared limiter.
    const best = Math.max(...v.map((t) => Math.min(inWindow(v, t), inWindow(b, t))));
    expect(best).toBeGreaterThanOrEqual(QPS - 4);
    expect(Math.max(...v.map((t) => inWindow(v, t) + inWindow(b, t)))).toBeGreaterThan(QPS);
  });

  it('keeps each account under its own cap', () => {
    for (const sim of [volcSim, bpSim]) {
      expect(sim.stats().throttled).toBe(0);
      expect(sim.stats().maxRequestsInAnyWindow).toBeLessThanOrEqual(SIM_CAP);
      expect(sim.stats().signatureFailures).toBe(0);
    }
  });

  it('reads the BytePlus RoomExist field, discovers through its ListRoomInfo 2023-11-01, and labels metrics by account', async () => {
    const text = await waitFor('the BytePlus live room polled', async () => {
      const t = await (await fetch(`${daemon!.url}/metrics`)).text();
      return /^rtc_room_total_users\{app_id="bp-live",room_id="show-1"\} 4$/m.test(t) ? t : undefined;
    });
    expect(text).toMatch(/^rtc_room_exists\{app_id="bp-app",room_id="b0"\} 1$/m);
    expect(text).toMatch(/^rtc_room_total_users\{app_id="bp-app",room_id="b0"\} 3$/m);
    expect(text).toMatch(/^rtc_room_exists\{app_id="volc-app",room_id="v0"\} 1$/m);
    expect(text).toMatch(/^rtc_ratelimit_qps\{account="volc"\} 20$/m);
    expect(text).toMatch(/^rtc_ratelimit_qps\{account="bp"\} 20$/m);
    expect(text).toMatch(/^rtc_api_requests_total\{action="GetRoomOnlineUsers",code="Success",account="bp"\} [1-9]/m);
    expect(text).toMatch(/^rtc_api_requests_total\{action="GetRoomOnlineUsers",code="Success",account="volc"\} [1-9]/m);
    expect(text).toMatch(/^rtc_api_requests_total\{action="ListRoomInfo",code="Success",account="bp"\} [1-9]/m);
    expect(text).toMatch(/^rtc_room_info\{app_id="bp-live",room_id="show-1",account="bp",source="list_room_info"\} 1$/m);
    expect(bpSim.listRoomInfoStats().byCode.Success).toBeGreaterThan(0);
    expect(volcSim.listRoomInfoStats().requests).toBe(0);
  });

  it('never prints either secret', () => {
    const output = daemon!.process.output();
    expect(output).not.toContain(volc.secretAccessKey);
    expect(output).not.toContain(bp.secretAccessKey);
  });
});

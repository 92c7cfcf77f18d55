import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/**
 * Two accounts that name the same key pair: the vendor counts the key, so together they get one budget
 * (the lower rateLimit of the two), not one each.
 */

const key = { accessKeyId: 'AKLTsharedkey', secretAccessKey: 'shared-secret-never-printed' };
const ROOMS = 30;
const QPS = 10;

describe('two accounts on one access key', () => {
  let sim: Simulator;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    // The simulator's own cap is far above ours: its count of arrivals is what is under test.
    sim = new Simulator({
      credentials: key,
      capQps: 1000,
      recordServed: true,
      rooms: Array.from({ length: ROOMS }, (_, i) => ({ appId: 'app', roomId: `r${i}`, visible: 1, churn: { paused: true } })),
    });
    const url = await sim.start();
    daemon = await startDaemon({
      credentials: key,
      config: {
        api: { endpoint: url },
        accounts: [
          { name: 'a', accessKeyEnv: 'VOLC_ACCESSKEY', secretKeyEnv: 'VOLC_SECRETKEY', api: { endpoint: url }, rateLimit: { qps: QPS } },
          { name: 'b', accessKeyEnv: 'VOLC_ACCESSKEY', secretKeyEnv: 'VOLC_SECRETKEY', api: { endpoint: url }, rateLimit: { qps: 20 } },
        ],
        schedule: '*/1 * * * * *',
        events: { log: false },
        rooms: Array.from({ length: ROOMS }, (_, i) => ({ appId: 'app', roomId: `r${i}`, account: i % 2 === 0 ? 'a' : 'b' })),
      },
    });
    // Both accounts' rooms queue at once every cycle (30 rooms at 10 qps: 3 s a cycle, always behind).
    await waitFor('three polls of the last rooms of each account', () =>
      sim.servedSnapshots('app', `r${ROOMS - 1}`).length >= 3 && sim.servedSnapshots('app', `r${ROOMS - 2}`).length >= 3 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
  });

  it('keeps both together under the lower of their caps', async () => {
    // Separate budgets would reach 10 + 20 in a second. The simulator's arrivals add its own scheduling
    // on a shared machine (a start 1010 ms after the one qps back may land a millisecond inside): qps + 1.
    expect(sim.stats().maxRequestsInAnyWindow).toBeLessThanOrEqual(QPS + 1);
    const text = await (await fetch(`${daemon!.url}/metrics`)).text();
    expect(text).toMatch(/^rtc_ratelimit_qps\{account="a"\} 10$/m);
    expect(text).toMatch(/^rtc_ratelimit_qps\{account="b"\} 10$/m);
  });
});

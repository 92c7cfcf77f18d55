import { daemonStatus, DaemonStatusSource } from '../../src/status/daemon-status';
import { Metrics } from '../../src/sinks/metrics';

const source = (over: Partial<DaemonStatusSource> = {}): DaemonStatusSource => ({
  version: '1.0.0',
  startMs: Date.UTC(2026, 0, 1),
  isReady: () => true,
  roomCount: () => 12,
  role: () => 'single',
  accounts: () => [{ account: 'default', configuredQps: 35, effectiveQps: 17.5, limiterQueue: 4 }],
  discovery: () => [{ source: 'static', healthy: true, rooms: 12, error: null }],
  pollIntervalSeconds: () => 15,
  cycleSummary: () => ({ completed: 3, lastDurationSeconds: 2.5, lastCompletedMs: Date.UTC(2026, 0, 1, 0, 1), overruns: 2 }),
  latestEventId: () => 41,
  ...over,
});

describe('daemonStatus', () => {
  it('reports the accounts and discovery sources it is given, and the single role', () => {
    expect(daemonStatus(source())).toEqual({
      version: '1.0.0',
      ready: true,
      role: 'single',
      startTime: '2026-01-01T00:00:00.000Z',
      rooms: 12,
      accounts: [{ account: 'default', configuredQps: 35, effectiveQps: 17.5, limiterQueue: 4 }],
      cycles: { completed: 3, lastDurationSeconds: 2.5, lastCompletedTime: '2026-01-01T00:01:00.000Z', overruns: 2, pollIntervalSeconds: 15 },
      discovery: [{ source: 'static', healthy: true, rooms: 12, error: null }],
      latestEventId: 41,
    });
  });

  it('says null for a cycle that has not completed yet', () => {
    const s = daemonStatus(source({ isReady: () => false, cycleSummary: () => ({ completed: 0, overruns: 0 }) }));
    expect(s.ready).toBe(false);
    expect(s.cycles).toMatchObject({ completed: 0, lastDurationSeconds: null, lastCompletedTime: null });
  });
});

describe('Metrics.cycleSummary', () => {
  it('keeps the last cycle and counts cycles and overruns, as the counters do', async () => {
    const m = new Metrics({ rooms: () => [], roomCount: () => 0, rates: () => [], pollIntervalSeconds: () => 1, version: 't' });
    expect(m.cycleSummary()).toEqual({ completed: 0, lastDurationSeconds: undefined, lastCompletedMs: undefined, overruns: 0 });
    m.cycleDone(1.5);
    m.cycleCompletedAt(5000);
    m.overrun(2);
    m.cycleDone(0.5);
    expect(m.cycleSummary()).toEqual({ completed: 2, lastDurationSeconds: 0.5, lastCompletedMs: 5000, overruns: 2 });
    const text = await m.render();
    expect(text).toMatch(/^rtc_poll_cycles_total 2$/m);
    expect(text).toMatch(/^rtc_poll_cycle_overruns_total 2$/m);
  });
});

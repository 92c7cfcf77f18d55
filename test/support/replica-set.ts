import type { RunningDaemon } from './daemon-process';
import { metricValue } from './served-oracle';
import { waitFor } from './wait-for';

/** A paused replica's kernel accepts the connection and nothing answers: give up on it after this. */
const SCRAPE_TIMEOUT_MS = 1000;

/**
 * The replicas of a cluster test, by index: launch (again, after a kill), find the leader, kill -9 or
 * pause it, and wait for another to take over. `start(i)` builds replica i's config each time, so a
 * replica relaunched after a kill keeps its events file and any config edit the test made.
 */
export class ReplicaSet {
  readonly running: (RunningDaemon | undefined)[] = [];

  constructor(
    readonly size: number,
    private readonly start: (i: number) => Promise<RunningDaemon>,
  ) {}

  async launch(i: number): Promise<void> {
    this.running[i] = await this.start(i);
  }

  get(i: number): RunningDaemon {
    const d = this.running[i];
    if (!d) throw new Error(`replica ${i} is not running`);
    return d;
  }

  /** false while replica i cannot be asked (not running, or paused: its socket accepts but never answers). */
  async isLeader(i: number): Promise<boolean> {
    return (await this.metric(i, 'rtc_cluster_leader')) === 1;
  }

  /** The index of the one replica that reports itself leader; undefined mid-election (or while two do). */
  async leader(): Promise<number | undefined> {
    const flags = await Promise.all([...Array(this.size).keys()].map((i) => this.isLeader(i)));
    return flags.filter(Boolean).length === 1 ? flags.indexOf(true) : undefined;
  }

  /** Waits until exactly one replica other than `except` leads; resolves with its index. */
  waitForLeader(what: string, except?: number, timeoutMs = 20_000): Promise<number> {
    return waitFor(what, async () => {
      const li = await this.leader();
      return li !== undefined && li !== except ? li : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  /** kill -9 replica i, wait for another to take over, then start it again (same events file). */
  async killAndRelaunch(i: number): Promise<number> {
    const d = this.get(i);
    process.kill(d.process.pid!, 'SIGKILL');
    await d.process.waitForExit();
    await d.stop();
    this.running[i] = undefined;
    const next = await this.waitForLeader(`a standby to take over from killed replica ${i}`, i);
    await this.launch(i);
    return next;
  }

  /** SIGSTOP replica i until another has taken over, then SIGCONT; resolves with the new leader and when i resumed. */
  async pauseUntilDeposed(i: number): Promise<{ next: number; resumedAtMs: number }> {
    const pid = this.get(i).process.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const next = await this.waitForLeader(`a standby to take over from paused replica ${i}`, i);
      return { next, resumedAtMs: Date.now() };
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  /** A sample of replica i's /metrics (unlabelled series); undefined while it cannot be read. */
  async metric(i: number, name: string): Promise<number | undefined> {
    const d = this.running[i];
    if (!d) return undefined;
    try {
      return metricValue(await (await fetch(`${d.url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })).text(), name);
    } catch {
      return undefined;
    }
  }

  async stopAll(): Promise<void> {
    for (const d of this.running.splice(0)) {
      if (!d) continue;
      try {
        process.kill(d.process.pid!, 'SIGCONT'); // a replica a failed test left paused cannot stop
      } catch {
        // already gone
      }
      await d.stop();
    }
  }
}

import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Ticker } from './ticker';

export interface CycleObserver {
  cycleDone(durationSeconds: number): void;
  /** Ticks that arrived while a cycle was running; they coalesce into one immediate next cycle. */
  overrun(missedTicks: number): void;
}

/**
 * Turns ticks into poll cycles that never overlap. A tick during a cycle is remembered (and counted); when
 * the cycle ends the next one starts at once, so a cycle that outgrows the period keeps the limiter busy
 * and every room still gets the same refresh interval. `runCycle` must not reject; if it does anyway the
 * error is logged and the loop carries on.
 */
export class CycleScheduler {
  private running?: Promise<void>;
  private pending = false;
  private stopped = false;
  private started = false;
  /** Set while an off-schedule cycle (runNow) runs: it stands in for the first tick that comes during it. */
  private absorbTick = false;

  constructor(
    private ticker: Ticker,
    private readonly runCycle: () => Promise<void>,
    private readonly observer: CycleObserver,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Cycles run only while this says yes (leadership); a tick while it says no is simply not a cycle. */
    private readonly gate: () => boolean = () => true,
  ) {}

  /** Start ticking; with `runNow` a first cycle starts immediately rather than at the first tick. */
  start(runNow = true): void {
    this.started = true;
    this.ticker.start(() => this.tick());
    if (runNow) this.runNow();
  }

  /**
   * A cycle now, off schedule (at start-up, or when this replica becomes the leader). It stands in for the
   * first tick that comes while it runs: polling every room again right after it would spend the budget
   * for nothing. Only a cycle that really started does (a closed gate starts none).
   */
  runNow(): void {
    this.tick();
    this.absorbTick = this.running !== undefined;
  }

  /** Swap the tick source (schedule changed on reload); the running cycle is not disturbed. */
  replaceTicker(ticker: Ticker): void {
    this.ticker.stop();
    this.ticker = ticker;
    if (this.started && !this.stopped) this.ticker.start(() => this.tick());
  }

  tick(): void {
    if (this.stopped || !this.gate()) return;
    if (this.running) {
      // An off-schedule cycle (runNow) anticipated this tick: it is not a missed one.
      if (this.absorbTick) {
        this.absorbTick = false;
        return;
      }
      this.pending = true;
      this.observer.overrun(1);
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stop ticking; resolves when the cycle in progress (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker.stop();
    this.pending = false;
    await this.running;
  }

  isRunning(): boolean {
    return this.running !== undefined;
  }

  private async loop(): Promise<void> {
    do {
      this.pending = false;
      const started = this.clock.now();
      try {
        await this.runCycle();
      } catch (err) {
        this.logger.error({ err }, 'poll cycle failed unexpectedly');
      }
      this.absorbTick = false;
      const ended = this.clock.now();
      this.observer.cycleDone((ended - started) / 1000);
    } while (this.pending && !this.stopped && this.gate());
  }
}

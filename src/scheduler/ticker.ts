import { createTask, ScheduledTask } from 'node-cron';
import type { Logger } from '../logger';

/** A source of "time to start a cycle" signals; tests drive a fake. */
export interface Ticker {
  start(onTick: () => void): void;
  stop(): void;
}

/** node-cron ticks. The callback only signals the scheduler, so node-cron never sees a long task. */
export class CronTicker implements Ticker {
  private task?: ScheduledTask;

  constructor(
    private readonly expression: string,
    private readonly logger: Logger,
  ) {}

  start(onTick: () => void): void {
    this.stop(); // never two cron tasks for one ticker
    this.task = createTask(this.expression, () => onTick(), {
      name: 'rtc-poll-cycle',
      // Our scheduler coalesces missed ticks itself and counts them in a metric.
      suppressMissedWarning: true,
      logger: {
        info: (m) => this.logger.debug({ component: 'node-cron' }, m),
        warn: (m) => this.logger.warn({ component: 'node-cron' }, m),
        error: (m) => this.logger.error({ component: 'node-cron' }, String(m)),
        debug: (m) => this.logger.debug({ component: 'node-cron' }, String(m)),
      },
    });
    void this.task.start();
  }

  stop(): void {
    if (this.task) void this.task.destroy();
    this.task = undefined;
  }
}

/** Typical seconds between ticks of a cron expression (median of the next gaps). */
export function schedulePeriodSeconds(expression: string): number {
  const task = createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(11).map((d) => d.getTime());
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!).sort((a, b) => a - b);
    return gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! / 1000 : 0;
  } finally {
    void task.destroy();
  }
}

import { Clock, isAbortError } from '../clock';
import type { Logger } from '../logger';

/**
 * Runs a task now and then every interval (start to start), never overlapping itself: a run that takes
 * longer than the interval is followed by the next one at once. The sleep is cancellable; stop() waits for
 * the run in progress. The task must not reject; if it does anyway, the error is logged and the loop goes on.
 */
export class PeriodicTask {
  private readonly stopper = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: () => number,
    private readonly task: (signal: AbortSignal) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  /** Cut the current wait short (a file changed); no effect while a run is in progress. */
  wake(): void {
    this.wakeUp?.abort();
  }

  private wakeUp?: AbortController;

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        await this.task(signal);
      } catch (err) {
        if (!isAbortError(err)) this.logger.error({ err, task: this.name }, 'periodic task failed unexpectedly');
      }
      const wait = Math.max(0, started + this.intervalMs() - this.clock.now());
      this.wakeUp = new AbortController();
      const onStop = (): void => this.wakeUp?.abort();
      signal.addEventListener('abort', onStop, { once: true });
      try {
        await this.clock.sleep(wait, this.wakeUp.signal);
      } catch {
        // woken early (stop or wake)
      } finally {
        signal.removeEventListener('abort', onStop);
      }
    }
  }
}

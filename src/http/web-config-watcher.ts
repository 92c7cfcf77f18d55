import { FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logger';
import type { LoadedWebConfig } from './web-config-file';

/**
 * Re-reads the web config when it changes: a watch on its directory (editors and Kubernetes replace
 * files rather than rewrite them, which a watch on the file itself would miss) for a quick reaction, and
 * a periodic re-check, because the certificate and key may live elsewhere (a renewal by cert-manager or
 * certbot touches only them) and watches are not reliable on every file system. A load that fails keeps
 * the web config in force; each failure is logged once until the files change again.
 */

export interface WebConfigReloadObserver {
  /** Result of a re-read that found changed files. */
  reloaded(ok: boolean): void;
}

export interface WebConfigWatcherDeps {
  load(file: string): LoadedWebConfig;
  /** Put the new web config in force; throws when it cannot be applied. */
  apply(next: LoadedWebConfig): void;
  observer: WebConfigReloadObserver;
  logger: Logger;
  /** Periodic re-check; 0 turns it off (tests). */
  intervalMs: number;
}

export class WebConfigWatcher {
  private seen: string;
  private lastError?: string;
  private fsWatcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    initial: LoadedWebConfig,
    private readonly deps: WebConfigWatcherDeps,
  ) {
    this.seen = initial.fingerprint;
  }

  start(): void {
    try {
      this.fsWatcher = watch(dirname(this.file), { persistent: false }, () => {
        clearTimeout(this.debounce);
        // An editor's save is several events (write, rename); read once they settle.
        this.debounce = setTimeout(() => this.check(), 100);
        this.debounce.unref();
      });
      this.fsWatcher.on('error', (err) => this.deps.logger.warn({ err, file: this.file }, 'web config watch failed; the periodic re-check continues'));
    } catch (err) {
      this.deps.logger.warn({ err, file: this.file }, 'cannot watch the web config directory; relying on the periodic re-check');
    }
    if (this.deps.intervalMs > 0) {
      this.timer = setInterval(() => this.check(), this.deps.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Re-read now (also on SIGHUP). Unchanged files: nothing happens. Resolves nothing and never throws;
   * returns the problem when the new files were rejected.
   */
  check(): string | undefined {
    let next: LoadedWebConfig;
    try {
      next = this.deps.load(this.file);
      if (next.fingerprint === this.seen) {
        // Back to the files in force after a rejected edit: nothing to apply, but the failure is over.
        if (this.lastError !== undefined) this.recovered();
        return undefined;
      }
      this.deps.apply(next);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) {
        this.deps.observer.reloaded(false);
        this.deps.logger.error({ file: this.file, reason: message }, 'web config reload rejected; keeping the previous web config');
        this.lastError = message;
      }
      return message;
    }
    this.seen = next.fingerprint;
    this.recovered();
    return undefined;
  }

  private recovered(): void {
    this.lastError = undefined;
    this.deps.observer.reloaded(true);
    this.deps.logger.info({ file: this.file }, 'web config reloaded');
  }

  close(): void {
    this.fsWatcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }
}

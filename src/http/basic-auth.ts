import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock';

/**
 * HTTP basic auth against bcrypt hashes (web config `basic_auth_users`). bcrypt at cost 10 takes tens of
 * milliseconds of CPU, so:
 * - results (good and bad) are cached for a short time under a sha256 of (user, hash, password): a
 *   scraper every 15 s pays once, and repeating one wrong password costs nothing; the cache forgets a
 *   user whose hash changes, because the hash is part of the key;
 * - verifications run one at a time and only a few may wait; beyond that a request is answered "busy"
 *   at once, so guessing passwords cannot take more than one core's share of bcrypt work;
 * - an unknown user is checked against a dummy hash, so response time does not reveal which users exist,
 *   and names are compared as digests in constant time.
 */

export type AuthResult = 'ok' | 'denied' | 'busy';

export interface BasicAuthOptions {
  /** Monotonic clock for cache expiry. */
  clock: Pick<Clock, 'now'>;
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  /** Verifications allowed to wait behind the running one. */
  maxQueued?: number;
  /** bcrypt comparison (tests count calls). */
  verify?: (password: string, hash: string) => Promise<boolean>;
}

/**
 * bcryptjs is loaded on the first verification, not at start: most daemons have no basic auth. (No RSS
 * difference could be measured from this alone; BENCHMARKS.md, issue #13 third pass.)
 */
function bcryptCompare(password: string, hash: string): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('bcryptjs') as typeof import('bcryptjs')).compare(password, hash);
}

/** A cost-10 bcrypt hash of a random string nobody knows; compared against for unknown users. */
const DUMMY_HASH = '$2b$10$Q.7ERx.GnEpMPze6xevHfeGVbdWv91w6wMSQ70zEHN2dDA1SRQ.pq';

export class BasicAuth {
  private readonly users: { digest: Buffer; name: string; hash: string }[];
  private readonly cache = new Map<string, { ok: boolean; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxQueued: number;
  private readonly verify: (password: string, hash: string) => Promise<boolean>;

  constructor(
    users: Readonly<Record<string, string>>,
    private readonly opts: BasicAuthOptions,
  ) {
    this.users = Object.entries(users).map(([name, hash]) => ({ digest: sha256(name), name, hash }));
    this.ttlMs = opts.cacheTtlMs ?? 5 * 60_000;
    this.maxEntries = opts.maxCacheEntries ?? 1000;
    this.maxQueued = opts.maxQueued ?? 8;
    this.verify = opts.verify ?? bcryptCompare;
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** Check an `Authorization` header value. */
  async check(authorization: string | undefined): Promise<AuthResult> {
    const creds = parseBasic(authorization);
    if (!creds) return 'denied';
    const user = this.findUser(creds.user);
    const hash = user?.hash ?? DUMMY_HASH;
    const key = createHash('sha256').update(creds.user).update('\0').update(hash).update('\0').update(creds.password).digest('hex');

    const now = this.opts.clock.now();
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > now) return cached.ok && user ? 'ok' : 'denied';

    let pending = this.inFlight.get(key);
    if (!pending) {
      if (this.queued >= this.maxQueued) return 'busy';
      pending = this.enqueue(creds.password, hash);
      this.inFlight.set(key, pending);
    }
    let ok: boolean;
    try {
      ok = (await pending) && user !== undefined;
    } finally {
      this.inFlight.delete(key);
    }
    this.remember(key, ok);
    return ok ? 'ok' : 'denied';
  }

  private enqueue(password: string, hash: string): Promise<boolean> {
    this.queued++;
    const run = this.tail.then(() => this.verify(password, hash).catch(() => false));
    this.tail = run.finally(() => {
      this.queued--;
    });
    return run;
  }

  private remember(key: string, ok: boolean): void {
    this.cache.delete(key);
    if (this.cache.size >= this.maxEntries) {
      // Oldest first (Map keeps insertion order); expired entries are the oldest anyway.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { ok, expiresAt: this.opts.clock.now() + this.ttlMs });
  }

  private findUser(name: string): { name: string; hash: string } | undefined {
    const digest = sha256(name);
    let found: { name: string; hash: string } | undefined;
    // Look at every user without stopping early, so timing does not depend on where the name is.
    for (const u of this.users) if (timingSafeEqual(u.digest, digest) && found === undefined) found = u;
    return found;
  }
}

/** `Basic base64(user:password)` → its parts; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

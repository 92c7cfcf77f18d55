import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock';
import { AuthSlots } from './auth-slots';

/**
 * HTTP basic auth against bcrypt hashes (web config `basic_auth_users`). bcrypt at cost 10 takes tens of
 * milliseconds of CPU, so:
 * - results are cached under an HMAC (a random key per process) of (user, hash, password), never the
 *   password itself; the cache forgets a user whose hash changes, because the hash is part of the key;
 * - known-good credentials have their own cache, looked at first and kept fresh by every hit (sliding
 *   expiry), so a scraper every 15 s pays once and never needs a verification slot again; wrong
 *   passwords go to a separate cache with a fixed expiry, so a flood of them cannot push a good
 *   credential out; the good cache is handed on at a reload (`previous`);
 * - verifications run one at a time and only a few may be pending, with a fair share per client address
 *   and a reserve for addresses with nothing pending (AuthSlots); beyond that a request is answered
 *   "busy" at once, so guessing passwords cannot take more than one core's share of bcrypt work, nor
 *   every slot from one address;
 * - an unknown user is checked against a dummy hash, so response time does not reveal which users exist,
 *   and names are compared as digests in constant time.
 */

export type AuthResult = 'ok' | 'denied' | 'busy';

export interface BasicAuthOptions {
  /** Monotonic clock for cache expiry. */
  clock: Pick<Clock, 'now'>;
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  /** Verifications allowed to be pending (running or waiting). */
  maxQueued?: number;
  /** Pending verifications one client address may hold. */
  maxPendingPerClient?: number;
  /** Pending slots only an address with nothing pending may take. */
  reservedSlots?: number;
  /** The instance this one replaces (a web config reload): its known-good credentials carry over. */
  previous?: BasicAuth;
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
  /** Known-good credentials, least recently used first. */
  private readonly good: Map<string, number>;
  /** Wrong credentials (and unknown users), oldest first. */
  private readonly bad = new Map<string, number>();
  private readonly hmacKey: Buffer;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly slots: AuthSlots;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly verify: (password: string, hash: string) => Promise<boolean>;

  constructor(
    users: Readonly<Record<string, string>>,
    private readonly opts: BasicAuthOptions,
  ) {
    this.users = Object.entries(users).map(([name, hash]) => ({ digest: sha256(name), name, hash }));
    this.ttlMs = opts.cacheTtlMs ?? 5 * 60_000;
    this.maxEntries = opts.maxCacheEntries ?? 1000;
    this.slots = new AuthSlots(opts.maxQueued ?? 8, opts.maxPendingPerClient ?? 2, opts.reservedSlots ?? 2);
    this.verify = opts.verify ?? bcryptCompare;
    // Same key and entries as the previous instance: an entry names the hash it was checked against, so
    // one for a user whose hash changed (or who was removed) can never match again.
    this.hmacKey = opts.previous?.hmacKey ?? randomBytes(32);
    this.good = new Map(opts.previous?.good);
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** Check an `Authorization` header value sent from `client` (the peer's address). */
  async check(authorization: string | undefined, client = ''): Promise<AuthResult> {
    const creds = parseBasic(authorization);
    if (!creds) return 'denied';
    const user = this.findUser(creds.user);
    const hash = user?.hash ?? DUMMY_HASH;
    const key = createHmac('sha256', this.hmacKey).update(creds.user).update('\0').update(hash).update('\0').update(creds.password).digest('hex');

    const now = this.opts.clock.now();
    const goodUntil = this.good.get(key);
    if (goodUntil !== undefined && user) {
      this.good.delete(key);
      if (goodUntil > now) {
        this.good.set(key, now + this.ttlMs);
        return 'ok';
      }
    }
    const badUntil = this.bad.get(key);
    if (badUntil !== undefined && badUntil > now) return 'denied';

    let pending = this.inFlight.get(key);
    if (!pending) {
      if (!this.slots.take(client)) return 'busy';
      pending = this.enqueue(creds.password, hash, client);
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

  private enqueue(password: string, hash: string, client: string): Promise<boolean> {
    const run = this.tail.then(() => this.verify(password, hash).catch(() => false));
    this.tail = run.finally(() => this.slots.release(client));
    return run;
  }

  private remember(key: string, ok: boolean): void {
    const cache = ok ? this.good : this.bad;
    cache.delete(key);
    if (cache.size >= this.maxEntries) {
      // Least recently used (good) or oldest (bad) first: a Map keeps insertion order.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, this.opts.clock.now() + this.ttlMs);
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

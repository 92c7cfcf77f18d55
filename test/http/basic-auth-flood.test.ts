import { clientKey } from '../../src/http/auth-slots';
import { BasicAuth } from '../../src/http/basic-auth';
import { FakeClock } from '../fakes/fake-clock';

/**
 * Issue #18 defect 8: a flood of wrong passwords must not deny the right one. bcrypt is a fake whose
 * checks finish when the test says (or on the next turn of the event loop), so nothing here depends on
 * how fast the machine is.
 */

const header = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const HASH = '$2y$10$fakefakefakefakefakefakefakefakefakefakefakefakefake';
const RIGHT = header('prometheus', 'right');

/** A bcrypt stand-in: "right" matches; each check waits for `release()` (or the next tick when `auto`). */
class FakeBcrypt {
  calls: string[] = [];
  waiting: (() => void)[] = [];
  auto = false;
  readonly verify = (password: string): Promise<boolean> => {
    this.calls.push(password);
    return new Promise((resolve) => {
      const done = (): void => resolve(password === 'right');
      if (this.auto) setImmediate(done);
      else this.waiting.push(done);
    });
  };
  /** Let every check started so far finish, including ones queued behind them. */
  async releaseAll(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const w = this.waiting.shift();
      if (!w) return;
      w();
    }
  }
}

let n = 0;
const randomPassword = (): string => `guess-${++n}`;

function make(previous?: BasicAuth) {
  const clock = new FakeClock(0);
  const bcrypt = new FakeBcrypt();
  const auth = new BasicAuth({ prometheus: HASH }, { clock, verify: bcrypt.verify, previous });
  return { clock, bcrypt, auth };
}

describe('BasicAuth under a flood of wrong passwords', () => {
  test('an uncached right credential (after a restart) gets a check while one address floods', async () => {
    const { auth, bcrypt } = make();
    const flood = Array.from({ length: 16 }, () => auth.check(header('prometheus', randomPassword()), '10.0.0.66'));
    const right = auth.check(RIGHT, '10.0.0.5');
    await bcrypt.releaseAll();
    expect(await right).toBe('ok');
    const results = await Promise.all(flood);
    // The flooding address holds its fair share of pending checks; the rest of its attempts are busy.
    expect(results.filter((r) => r === 'denied')).toHaveLength(2);
    expect(results.filter((r) => r === 'busy')).toHaveLength(14);
  });

  test('16 loops of random passwords from one address never deny the right credential, cached or not', async () => {
    const { auth, bcrypt } = make();
    bcrypt.auto = true;
    let stop = false;
    const seen: string[] = [];
    const loop = async (): Promise<void> => {
      while (!stop) {
        seen.push(await auth.check(header('prometheus', randomPassword()), '10.0.0.66'));
        // A real client waits for Retry-After; here one turn of the event loop keeps the loops from spinning.
        await new Promise((r) => setImmediate(r));
      }
    };
    const loops = Array.from({ length: 16 }, loop);
    const scrapes: string[] = [];
    for (let i = 0; i < 50; i++) {
      scrapes.push(await auth.check(RIGHT, '10.0.0.5'));
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await Promise.all(loops);
    expect(scrapes).toEqual(Array(50).fill('ok'));
    expect(seen).toContain('busy');
    expect(bcrypt.calls.filter((p) => p === 'right')).toHaveLength(1);
  });

  test('a cached right credential is let in without a bcrypt check even when every slot is taken', async () => {
    const { auth, bcrypt } = make();
    const first = auth.check(RIGHT, '10.0.0.5');
    await bcrypt.releaseAll();
    expect(await first).toBe('ok');
    // Many addresses, so every slot is pending.
    const flood = Array.from({ length: 40 }, (_, i) => auth.check(header('prometheus', randomPassword()), `10.1.0.${i}`));
    await new Promise((r) => setImmediate(r));
    expect(await auth.check(header('prometheus', randomPassword()), '10.2.0.1')).toBe('busy');
    const calls = bcrypt.calls.length;
    expect(await auth.check(RIGHT, '10.0.0.5')).toBe('ok');
    expect(bcrypt.calls.length).toBe(calls);
    await bcrypt.releaseAll();
    await Promise.all(flood);
  });

  test('a known-good credential stays cached while it is used (sliding expiry) and expires when it is not', async () => {
    const { auth, bcrypt, clock } = make();
    const first = auth.check(RIGHT, 'a');
    await bcrypt.releaseAll();
    expect(await first).toBe('ok');
    // A scrape every 4 minutes for an hour: one bcrypt check, at the start.
    for (let i = 0; i < 15; i++) {
      await clock.advance(4 * 60_000);
      expect(await auth.check(RIGHT, 'a')).toBe('ok');
    }
    expect(bcrypt.calls).toEqual(['right']);
    await clock.advance(5 * 60_000 + 1);
    const later = auth.check(RIGHT, 'a');
    await bcrypt.releaseAll();
    expect(await later).toBe('ok');
    expect(bcrypt.calls).toEqual(['right', 'right']);
  });

  test('wrong passwords do not push a known-good credential out of the cache', async () => {
    const clock = new FakeClock(0);
    const bcrypt = new FakeBcrypt();
    bcrypt.auto = true;
    const auth = new BasicAuth({ prometheus: HASH }, { clock, verify: bcrypt.verify, maxCacheEntries: 4 });
    expect(await auth.check(RIGHT, 'a')).toBe('ok');
    for (let i = 0; i < 20; i++) expect(await auth.check(header('prometheus', randomPassword()), 'b')).toBe('denied');
    expect(await auth.check(RIGHT, 'a')).toBe('ok');
    expect(bcrypt.calls.filter((p) => p === 'right')).toHaveLength(1);
  });

  test('a reload keeps the known-good credentials of users whose hash did not change', async () => {
    const old = make();
    old.bcrypt.auto = true;
    expect(await old.auth.check(RIGHT, 'a')).toBe('ok');
    const reloaded = make(old.auth);
    expect(await reloaded.auth.check(RIGHT, 'a')).toBe('ok');
    expect(reloaded.bcrypt.calls).toEqual([]);
    // A changed hash, or a removed user, is never let in from the old cache.
    const changed = new BasicAuth({ prometheus: `${HASH}x` }, { clock: new FakeClock(0), verify: async () => false, previous: old.auth });
    expect(await changed.check(RIGHT, 'a')).toBe('denied');
    const removed = new BasicAuth({ other: HASH }, { clock: new FakeClock(0), verify: async () => false, previous: old.auth });
    expect(await removed.check(RIGHT, 'a')).toBe('denied');
  });

  test('the last slots are kept for addresses with nothing pending', async () => {
    const { auth, bcrypt } = make();
    const pending: Promise<string>[] = [];
    const attempt = async (addr: string): Promise<string> => {
      const p = auth.check(header('prometheus', randomPassword()), addr);
      pending.push(p);
      // A refusal is immediate; an admitted check is still waiting for bcrypt.
      const r = await Promise.race([p, new Promise<string>((res) => setImmediate(() => res('pending')))]);
      return r;
    };
    // Three addresses take two slots each (6 of 8).
    for (const a of ['a1', 'a2', 'a3']) for (let i = 0; i < 2; i++) expect(await attempt(a)).toBe('pending');
    expect(await attempt('a1')).toBe('busy'); // its fair share
    expect(await attempt('a4')).toBe('pending'); // 7 of 8, a new address
    expect(await attempt('a4')).toBe('busy'); // a reserved slot, and a4 already has one pending
    expect(await attempt('a5')).toBe('pending'); // 8 of 8
    expect(await attempt('a6')).toBe('busy'); // full
    await bcrypt.releaseAll();
    await Promise.all(pending);
  });
});

describe('clientKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    [undefined, ''],
  ])('%s counts as %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

import { hashSync } from 'bcryptjs';
import { BasicAuth, parseBasic } from '../../src/http/basic-auth';
import { FakeClock } from '../fakes/fake-clock';

const header = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
// htpasswd -B writes $2y$; bcryptjs must verify it.
const ALICE = hashSync('right', 4).replace(/^\$2b\$/, '$2y$');

describe('parseBasic', () => {
  it.each([
    [header('a', 'b:c'), { user: 'a', password: 'b:c' }],
    [`basic ${Buffer.from('u:').toString('base64')}`, { user: 'u', password: '' }],
    [undefined, undefined],
    ['Bearer abc', undefined],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`, undefined],
    ['Basic !!!', undefined],
  ])('%s', (input, expected) => {
    expect(parseBasic(input)).toEqual(expected);
  });
});

describe('BasicAuth', () => {
  const make = (opts: Partial<ConstructorParameters<typeof BasicAuth>[1]> = {}) => {
    const clock = new FakeClock(0);
    const calls: string[] = [];
    const auth = new BasicAuth(
      { alice: ALICE },
      {
        clock,
        cacheTtlMs: 60_000,
        verify: async (password, hash) => {
          calls.push(hash === ALICE ? `alice:${password}` : `dummy:${password}`);
          return (await import('bcryptjs')).compare(password, hash);
        },
        ...opts,
      },
    );
    return { auth, clock, calls };
  };

  it('lets the right password in and refuses a wrong one, a missing header and an unknown user', async () => {
    const { auth } = make();
    expect(await auth.check(header('alice', 'right'))).toBe('ok');
    expect(await auth.check(header('alice', 'wrong'))).toBe('denied');
    expect(await auth.check(undefined)).toBe('denied');
    expect(await auth.check(header('mallory', 'right'))).toBe('denied');
  });

  it('checks an unknown user against a dummy hash, so it costs as much as a known one', async () => {
    const { auth, calls } = make();
    await auth.check(header('mallory', 'x'));
    expect(calls).toEqual(['dummy:x']);
  });

  it('caches results for the TTL: a repeated scrape or a repeated wrong password costs no bcrypt', async () => {
    const { auth, clock, calls } = make();
    for (let i = 0; i < 3; i++) expect(await auth.check(header('alice', 'right'))).toBe('ok');
    for (let i = 0; i < 3; i++) expect(await auth.check(header('alice', 'wrong'))).toBe('denied');
    expect(calls).toEqual(['alice:right', 'alice:wrong']);
    await clock.advance(60_001);
    expect(await auth.check(header('alice', 'right'))).toBe('ok');
    expect(calls).toEqual(['alice:right', 'alice:wrong', 'alice:right']);
  });

  it('bounds the cache', async () => {
    const { auth, calls } = make({ maxCacheEntries: 2 });
    for (const p of ['a', 'b', 'c', 'a']) await auth.check(header('alice', p));
    // "a" was evicted when "c" came in, so it is verified again.
    expect(calls).toEqual(['alice:a', 'alice:b', 'alice:c', 'alice:a']);
  });

  it('runs one verification at a time, shares one for identical requests, and answers busy past the queue', async () => {
    const clock = new FakeClock(0);
    const releases: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    const verify = (): Promise<boolean> =>
      new Promise((resolve) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        releases.push(() => {
          running--;
          resolve(false);
        });
      });
    const auth = new BasicAuth({ alice: ALICE }, { clock, verify, maxQueued: 2 });
    const first = auth.check(header('alice', '1'));
    const same = auth.check(header('alice', '1'));
    const second = auth.check(header('alice', '2'));
    expect(await auth.check(header('alice', '3'))).toBe('busy');
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setImmediate(r));
      expect(releases.length).toBe(i + 1);
      releases[i]!();
    }
    expect(await Promise.all([first, same, second])).toEqual(['denied', 'denied', 'denied']);
    expect(maxRunning).toBe(1);
    expect(releases.length).toBe(2);
    // The queue has drained: a new attempt is verified again.
    const third = auth.check(header('alice', '3'));
    await new Promise((r) => setImmediate(r));
    releases[2]!();
    expect(await third).toBe('denied');
  });
});

import { inspect } from 'node:util';
import { accountCredentials } from '../../src/accounts/account-credentials';
import { AccountPool } from '../../src/accounts/account-pool';
import { AccountSettings, accountSettings, resolveAccount } from '../../src/accounts/account-settings';
import { parseConfig } from '../../src/config/load';
import type { RoomPoller } from '../../src/polling/room-poller';
import type { AccountApi } from '../../src/volc/account-api';
import { FakeClock } from '../fakes/fake-clock';

const TWO = `
accounts:
  - {name: cn, accessKeyEnv: CN_AK, secretKeyEnv: CN_SK, rateLimit: {qps: 10}}
  - {name: eu, accessKeyEnv: EU_AK, secretKeyEnv: EU_SK, api: {endpoint: "https://open.byteplusapi.com", region: ap-singapore-1, version: "2023-11-01"}, rateLimit: {qps: 20}}
rooms: [{appId: a, roomId: r}, {appId: b, roomId: s, account: eu}]
`;

describe('accounts', () => {
  it('without `accounts`, one default account from VOLC_ACCESSKEY / VOLC_SECRETKEY with the top-level api and rateLimit', () => {
    const cfg = parseConfig('rateLimit: {qps: 12}\nrooms: [{appId: a, roomId: r}]');
    expect(accountSettings(cfg)).toEqual([{ name: 'default', accessKeyEnv: 'VOLC_ACCESSKEY', secretKeyEnv: 'VOLC_SECRETKEY', api: cfg.api, rateLimit: cfg.rateLimit }]);
    expect(resolveAccount(cfg, undefined)).toBe('default');
    const creds = accountCredentials(accountSettings(cfg), { VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'top-secret' }).get('default')!;
    expect(creds.accessKeyId).toBe('AK');
    expect(JSON.stringify(creds) + inspect(creds)).not.toContain('top-secret');
    expect(() => accountCredentials(accountSettings(cfg), { VOLC_SECRETKEY: 'top-secret' })).toThrow('VOLC_ACCESSKEY: not set (put them in the environment or in .env)');
  });

  it('names the missing variables of every account, never a value', () => {
    const cfg = parseConfig(TWO);
    expect(resolveAccount(cfg, undefined)).toBe('cn');
    let message = '';
    try {
      accountCredentials(accountSettings(cfg), { CN_AK: 'x', CN_SK: 'cn-secret', EU_SK: 'eu-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('EU_AK: not set (keys of account "eu"; put them in the environment or in .env)');
  });

  it('builds one limiter per (account, action) and refuses a reload that adds or removes accounts', () => {
    const cfg = parseConfig(TWO);
    const made: string[] = [];
    const pool = new AccountPool(accountSettings(cfg), {
      monotonic: new FakeClock(0),
      makeApi: (a) => {
        made.push(a.name);
        return {} as AccountApi;
      },
      makePoller: () => ({ setRetryPolicy: () => undefined, setApi: () => undefined }) as unknown as RoomPoller,
      listQps: () => 5,
    });
    const [cn, eu] = [pool.get('cn')!, pool.get('eu')!];
    expect(cn.limiter).not.toBe(eu.limiter);
    expect(cn.listLimiter).not.toBe(cn.limiter);
    expect(cn.rate.configuredCap()).toBe(10);
    expect(eu.rate.configuredCap()).toBe(20);
    expect(pool.check(accountSettings(parseConfig('rooms: [{appId: a, roomId: r}]')))).toMatch(/^accounts: adding, removing or renaming accounts needs a restart/);
    const changed = parseConfig(TWO.replace('qps: 20', 'qps: 25').replace('ap-singapore-1', 'ap-southeast-1'));
    expect(pool.check(accountSettings(changed))).toBeUndefined();
    pool.update(accountSettings(changed));
    expect(eu.rate.configuredCap()).toBe(25);
    // A reload builds every account's client anew (the CA file is re-read; the keep-alive pool is reused),
    // and the limiters stay: waiters are never stranded on a replaced limiter.
    expect(made).toEqual(['cn', 'eu', 'cn', 'eu']);
    expect(pool.get('eu')!.limiter).toBe(eu.limiter);
    pool.close();
  });

  describe('limiters belong to the access key', () => {
    const SHARED = `
accounts:
  - {name: a, accessKeyEnv: SHARED_AK, secretKeyEnv: SHARED_SK, rateLimit: {qps: 30}}
  - {name: b, accessKeyEnv: SHARED_AK, secretKeyEnv: SHARED_SK, rateLimit: {qps: 30}}
  - {name: c, accessKeyEnv: OTHER_AK, secretKeyEnv: OTHER_SK, rateLimit: {qps: 30}}
rooms: [{appId: x, roomId: r}]
`;
    const budgetMoves: string[] = [];
    const shared: string[] = [];
    const poolOf = (yaml: string, clock = new FakeClock(0), limiterKey?: (a: AccountSettings) => string): AccountPool =>
      new AccountPool(accountSettings(parseConfig(yaml)), {
        monotonic: clock,
        makeApi: () => ({}) as AccountApi,
        makePoller: (name) => ({ setRetryPolicy: () => undefined, setApi: () => undefined, setBudget: () => budgetMoves.push(name) }) as unknown as RoomPoller,
        listQps: () => 5,
        limiterKey,
        sharedKey: (accounts, qps) => shared.push(`${accounts.join('+')}@${qps}`),
      });

    it('two accounts naming the same key together stay under one cap in any rolling second', async () => {
      const clock = new FakeClock(0);
      const pool = poolOf(SHARED, clock);
      const starts: number[] = [];
      const ask = (name: string): Promise<void> => pool.get(name)!.limiter.acquire().then(() => void starts.push(clock.now()), () => undefined);
      const waiting = Array.from({ length: 100 }, (_, i) => ask(i % 2 === 0 ? 'a' : 'b'));
      await clock.advance(3000);
      expect(starts.length).toBeGreaterThan(30);
      const busiest = Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + 1000).length));
      expect(busiest).toBeLessThanOrEqual(30);
      // The other key has its own budget: it is not slowed down by the first.
      expect(pool.get('c')!.limiter).not.toBe(pool.get('a')!.limiter);
      pool.close();
      await Promise.all(waiting);
    });

    it('accounts on one key share one rate at the lowest of their rateLimit values; the key id decides, not the variable', () => {
      const pool = poolOf(SHARED.replace('SHARED_SK, rateLimit: {qps: 30}}\n  - {name: b', 'SHARED_SK, rateLimit: {qps: 12}}\n  - {name: b'));
      expect(pool.get('a')!.rate).toBe(pool.get('b')!.rate);
      expect(pool.get('a')!.listLimiter).toBe(pool.get('b')!.listLimiter);
      expect(pool.get('b')!.rate.configuredCap()).toBe(12);
      expect(pool.get('c')!.rate.configuredCap()).toBe(30);
      // Said once (a warning in the log), for the key whose accounts configure different values.
      expect(shared).toEqual(['a+b@12']);
      pool.close();
      // Two variables that hold the same key id: still one key, one budget.
      const env: Record<string, string> = { SHARED_AK: 'AKsame', OTHER_AK: 'AKsame' };
      const byId = poolOf(SHARED, new FakeClock(0), (a) => env[a.accessKeyEnv]!);
      expect(byId.get('c')!.limiter).toBe(byId.get('a')!.limiter);
      byId.close();
    });

    it('a reload that points an account at another key moves it to that key\'s limiter; a changed qps applies to the key', () => {
      budgetMoves.length = 0;
      const pool = poolOf(SHARED);
      const [a, c] = [pool.get('a')!, pool.get('c')!];
      const oldLimiter = a.limiter;
      const moved = accountSettings(parseConfig(SHARED.replace('{name: a, accessKeyEnv: SHARED_AK', '{name: a, accessKeyEnv: OTHER_AK').replace('OTHER_SK, rateLimit: {qps: 30}', 'OTHER_SK, rateLimit: {qps: 20}')));
      pool.update(moved);
      expect(budgetMoves).toEqual(['a']);
      expect(pool.get('a')!.limiter).toBe(c.limiter);
      expect(pool.get('a')!.limiter).not.toBe(oldLimiter);
      expect(pool.get('b')!.limiter).toBe(oldLimiter);
      expect(c.rate.configuredCap()).toBe(20);
      pool.close();
    });
  });
});

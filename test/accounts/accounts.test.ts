import { inspect } from 'node:util';
import { accountCredentials } from '../../src/accounts/account-credentials';
import { AccountPool } from '../../src/accounts/account-pool';
import { accountSettings, resolveAccount } from '../../src/accounts/account-settings';
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
});

import { callbackSecrets } from '../../src/callbacks/callback-secrets';
import type { CallbacksConfig } from '../../src/config/schema';

const cfg = (extra: Partial<CallbacksConfig> = {}): CallbacksConfig => ({ path: '/callbacks/rtc', secretEnv: 'RTC_CALLBACK_SECRET', maxBodyBytes: 65_536, confirmAfterMs: 1000, reconcileGraceMs: 5000, ...extra });

describe('callback secrets', () => {
  it('the default secret verifies every app; an app with its own uses that one', () => {
    const s = callbackSecrets(cfg({ apps: [{ appId: 'eu', secretEnv: 'EU_SECRET' }] }), { RTC_CALLBACK_SECRET: ' main ', EU_SECRET: 'eu-secret' });
    expect([s.secretFor('any'), s.secretFor('eu')]).toEqual(['main', 'eu-secret']);
  });

  it.each<[string, Partial<CallbacksConfig>, NodeJS.ProcessEnv, string]>([
    ['no default secret', {}, {}, 'callbacks.secretEnv: RTC_CALLBACK_SECRET is not set'],
    ['a blank one', {}, { RTC_CALLBACK_SECRET: '  ' }, 'callbacks.secretEnv: RTC_CALLBACK_SECRET is not set'],
    ["an app's own variable unset", { apps: [{ appId: 'a', secretEnv: 'A_SECRET' }] }, { RTC_CALLBACK_SECRET: 'x' }, 'callbacks.apps[0].secretEnv: A_SECRET is not set'],
    ['some apps without their own and no default', { apps: [{ appId: 'a', secretEnv: 'A_SECRET' }, { appId: 'b' }] }, { A_SECRET: 'x' }, 'callbacks.secretEnv: RTC_CALLBACK_SECRET is not set'],
  ])('refuses %s, naming the key', (_name, extra, env, message) => {
    expect(() => callbackSecrets(cfg(extra), env)).toThrow(message);
  });

  it('without a default, only the listed apps are verified; others have no secret (answered 401)', () => {
    const s = callbackSecrets(cfg({ apps: [{ appId: 'a', secretEnv: 'A_SECRET' }] }), { A_SECRET: 'a-secret' });
    expect([s.secretFor('a'), s.secretFor('b')]).toEqual(['a-secret', undefined]);
  });

  it('never puts a value in an error', () => {
    let message = '';
    try {
      callbackSecrets(cfg({ apps: [{ appId: 'a', secretEnv: 'A_SECRET' }] }), { RTC_CALLBACK_SECRET: 'top-secret-value' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain('A_SECRET is not set');
    expect(message).not.toContain('top-secret-value');
  });
});

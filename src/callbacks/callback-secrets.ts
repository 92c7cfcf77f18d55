import type { CallbacksConfig } from '../config/schema';

/** Which secret verifies a callback of which AppId; the values stay inside this closure. */
export interface CallbackSecrets {
  /** The secret for the AppId, or undefined when none is configured for it (answered 401). */
  secretFor(appId: string): string | undefined;
}

/**
 * The callback secrets from the environment variables the config names. A receiver without a secret would
 * accept anyone's events, so a missing one is an error naming its key (never a value). The default
 * (`callbacks.secretEnv`) verifies every AppId not listed in `callbacks.apps` with its own variable; it may
 * be left unset only when `apps` lists every app with its own `secretEnv` (then only those are accepted).
 */
export function callbackSecrets(cfg: CallbacksConfig, env: NodeJS.ProcessEnv): CallbackSecrets {
  const problems: string[] = [];
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  const perApp = new Map<string, string>();
  (cfg.apps ?? []).forEach((app, i) => {
    if (app.secretEnv === undefined) return;
    const value = read(app.secretEnv);
    if (value === undefined) problems.push(`callbacks.apps[${i}].secretEnv: ${app.secretEnv} is not set (put it in the environment or in .env)`);
    else perApp.set(app.appId, value);
  });
  const allOwn = (cfg.apps?.length ?? 0) > 0 && cfg.apps!.every((a) => a.secretEnv !== undefined);
  const fallback = read(cfg.secretEnv);
  if (fallback === undefined && !allOwn) problems.push(`callbacks.secretEnv: ${cfg.secretEnv} is not set (the callback secret; put it in the environment or in .env)`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { secretFor: (appId) => perApp.get(appId) ?? fallback };
}

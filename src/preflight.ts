import { resolve } from 'node:path';
import { loadConfigWithCa } from './config/ca-file';
import { classifyStoreFile, ForeignFileError } from './store/store-file';
import type { Config } from './config/schema';
import { logLevelFromEnv } from './logger';
import { accountCredentials } from './accounts/account-credentials';
import { accountSettings } from './accounts/account-settings';
import type { Credentials } from './volc/credentials';
import { CallbackSecrets, callbackSecrets } from './callbacks/callback-secrets';

/**
 * Everything the daemon checks before it starts, in one place, so `check-config` and `run` can never
 * disagree: the config file (and every api.caFile, and a state.file that is not ours), LOG_LEVEL and every account's key pair. Throws ConfigError for the
 * config and an Error naming the variable for the environment.
 */
export interface Preflight {
  config: Config;
  /** CA bundles by the `api` section (top-level or an account's) whose caFile named them. */
  cas: Map<Config['api'], string>;
  logLevel: string;
  /** Each account's key pair; absent only when the caller skipped the check (check-config --skip-credentials). */
  credentials?: Map<string, Credentials>;
  /** The callback secrets, when `callbacks` is configured (and credentials were checked). */
  callbackSecrets?: CallbackSecrets;
}

export function preflight(configPath: string, env: NodeJS.ProcessEnv, opts: { skipCredentials?: boolean } = {}): Preflight {
  const logLevel = logLevelFromEnv(env);
  const { config, cas } = loadConfigWithCa(configPath);
  // Read-only: a state.file that names some other file (the config, the events file) is refused here,
  // before anything could open it.
  if (config.state.backend === 'sqlite' && classifyStoreFile(resolve(config.state.file)) === 'foreign') {
    throw new ForeignFileError(config.state.file, 'it is not a SQLite database');
  }
  const credentials = opts.skipCredentials ? undefined : accountCredentials(accountSettings(config), env);
  const secrets = opts.skipCredentials || !config.callbacks ? undefined : callbackSecrets(config.callbacks, env);
  return { config, cas, logLevel, credentials, callbackSecrets: secrets };
}

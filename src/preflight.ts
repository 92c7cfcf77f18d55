import { loadConfigWithCa } from './config/ca-file';
import type { Config } from './config/schema';
import { logLevelFromEnv } from './logger';
import { Credentials, credentialsFromEnv } from './volc/credentials';

/**
 * Everything the daemon checks before it starts, in one place, so `check-config` and `run` can never
 * disagree: the config file (and api.caFile), LOG_LEVEL and the key pair. Throws ConfigError for the
 * config and an Error naming the variable for the environment.
 */
export interface Preflight {
  config: Config;
  ca?: string;
  logLevel: string;
  /** Absent only when the caller skipped the credential check (check-config --skip-credentials). */
  credentials?: Credentials;
}

export function preflight(configPath: string, env: NodeJS.ProcessEnv, opts: { skipCredentials?: boolean } = {}): Preflight {
  const logLevel = logLevelFromEnv(env);
  const { config, ca } = loadConfigWithCa(configPath);
  const credentials = opts.skipCredentials ? undefined : credentialsFromEnv(env);
  return { config, ca, logLevel, credentials };
}

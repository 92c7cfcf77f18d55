import { AccountConfig, Config, DEFAULT_ACCOUNT } from '../config/schema';
import { ENV_ACCESS_KEY, ENV_SECRET_KEY } from '../volc/credentials';

/**
 * The accounts a config describes. Without `accounts`, one account named "default" with the keys from
 * VOLC_ACCESSKEY / VOLC_SECRETKEY and the top-level `api` / `rateLimit`: exactly the single-account daemon.
 * Pure.
 */
export type AccountSettings = AccountConfig;

export function accountSettings(config: Config): AccountSettings[] {
  if (config.accounts) return config.accounts;
  return [{ name: DEFAULT_ACCOUNT, accessKeyEnv: ENV_ACCESS_KEY, secretKeyEnv: ENV_SECRET_KEY, api: config.api, rateLimit: config.rateLimit }];
}

/** The account a room or app refers to; unnamed means the first account. */
export function resolveAccount(config: Config, name: string | undefined): string {
  return name ?? accountSettings(config)[0]!.name;
}

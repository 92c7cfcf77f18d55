import { DEFAULT_ACCOUNT } from '../config/schema';
import { Credentials } from '../volc/credentials';
import type { AccountSettings } from './account-settings';

/**
 * Each account's key pair, read from the environment variables its settings name. Errors name the
 * variables (and the account), never a value. The secret stays inside Credentials' closure.
 */
export function accountCredentials(settings: readonly AccountSettings[], env: NodeJS.ProcessEnv): Map<string, Credentials> {
  const problems: string[] = [];
  const out = new Map<string, Credentials>();
  for (const account of settings) {
    const missing = [account.accessKeyEnv, account.secretKeyEnv].filter((k) => !env[k]?.trim());
    if (missing.length > 0) {
      const whose = settings.length > 1 || account.name !== DEFAULT_ACCOUNT ? `keys of account "${account.name}"; ` : '';
      problems.push(`${missing.join(', ')}: not set (${whose}put them in the environment or in .env)`);
      continue;
    }
    out.set(account.name, new Credentials(env[account.accessKeyEnv]!.trim(), env[account.secretKeyEnv]!.trim()));
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}

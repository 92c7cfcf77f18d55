import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfigFile } from './load';
import type { Config } from './schema';

/**
 * api.caFile: read when the config is loaded (start, reload, check-config), so a missing or unreadable
 * file is a config error naming the key, and a reload picks up a renewed CA. A relative path is relative
 * to the config file, as in Prometheus' own TLS settings.
 */
export function readCaFile(caFile: string, configFile: string, key = 'api.caFile'): string {
  const path = resolve(dirname(configFile), caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(configFile, [`${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(configFile, [`${key}: ${path} holds no PEM certificate`]);
  }
  return pem;
}

type ApiSettings = Config['api'];

/**
 * The config and the CA bundles its `api` sections name (the top-level one and each account's), keyed by
 * the `api` object itself, so whoever builds an account's client finds its CA without a second lookup.
 * `ca` is the top-level one, kept for callers that only know a single account.
 */
export function loadConfigWithCa(configFile: string): { config: Config; ca?: string; cas: Map<ApiSettings, string> } {
  const config = loadConfigFile(configFile);
  const cas = new Map<ApiSettings, string>();
  const sections: [ApiSettings, string][] = [[config.api, 'api.caFile'], ...(config.accounts ?? []).map((a, i): [ApiSettings, string] => [a.api, `accounts[${i}].api.caFile`])];
  for (const [api, key] of sections) if (api.caFile) cas.set(api, readCaFile(api.caFile, configFile, key));
  return { config, ca: cas.get(config.api), cas };
}

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
export function readCaFile(caFile: string, configFile: string): string {
  const path = resolve(dirname(configFile), caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(configFile, [`api.caFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(configFile, [`api.caFile: ${path} holds no PEM certificate`]);
  }
  return pem;
}

/** The config and, when api.caFile is set, the CA bundle it names. */
export function loadConfigWithCa(configFile: string): { config: Config; ca?: string } {
  const config = loadConfigFile(configFile);
  return config.api.caFile ? { config, ca: readCaFile(config.api.caFile, configFile) } : { config };
}

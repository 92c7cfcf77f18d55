import { createHash, createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load';
import { parseWebConfig, PemSource, WebConfig } from './web-config';

/**
 * Loading a web config from disk: the YAML file plus the certificate, key and client CA it names, each
 * checked (parses, key matches certificate) so that a bad file is rejected before it is served. The
 * fingerprint covers every byte read, so a re-check notices a renewed certificate as well as an edited
 * web config.
 */

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** The server certificate's expiry, for the log. */
  notAfter: string;
}

export interface LoadedWebConfig {
  file: string;
  config: WebConfig;
  tls?: TlsMaterial;
  /** sha256 over the web config and every file it names. */
  fingerprint: string;
}

export function loadWebConfigFile(file: string): LoadedWebConfig {
  const hash = createHash('sha256');
  const text = readOrThrow(file, '(file)', file);
  hash.update(text);
  const config = parseWebConfig(text.toString('utf8'), file);
  let tls: TlsMaterial | undefined;
  if (config.tls) {
    const problems: string[] = [];
    const read = (src: PemSource): Buffer | undefined => {
      try {
        const data = 'file' in src ? readOrThrow(src.file, src.keyPath, file) : Buffer.from(src.inline);
        hash.update(data);
        return data;
      } catch (err) {
        problems.push(...(err as ConfigError).problems);
        return undefined;
      }
    };
    const cert = read(config.tls.cert);
    const key = read(config.tls.key);
    const ca = config.tls.clientCa ? read(config.tls.clientCa) : undefined;
    const x509 = cert && check(problems, config.tls.cert.keyPath, 'must hold a PEM certificate', () => new X509Certificate(cert));
    const privateKey = key && check(problems, config.tls.key.keyPath, 'must hold a PEM private key (unencrypted)', () => createPrivateKey(key));
    if (config.tls.clientCa && ca) check(problems, config.tls.clientCa.keyPath, 'must hold PEM CA certificate(s)', () => new X509Certificate(ca));
    if (x509 && privateKey && !x509.checkPrivateKey(privateKey as KeyObject)) problems.push(`${config.tls.key.keyPath}: does not match the certificate in ${config.tls.cert.keyPath}`);
    if (problems.length > 0) throw new ConfigError(file, problems);
    tls = { cert: cert!, key: key!, ca, notAfter: (x509 as X509Certificate).validTo };
  }
  return { file, config, tls, fingerprint: hash.digest('hex') };
}

function readOrThrow(path: string, keyPath: string, configFile: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(configFile, [`${keyPath}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
}

function check<T>(problems: string[], keyPath: string, message: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    problems.push(`${keyPath}: ${message}`);
    return undefined;
  }
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PKI for the TLS tests, made with the `openssl` command (Node can verify certificates but
 * not issue them): a CA, a server certificate for 127.0.0.1 / localhost, a client certificate from the
 * same CA, and a client certificate from an unrelated CA. Files are PEM, keys unencrypted.
 */

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second server certificate (same names, new key), for renewal tests. */
  renewedCert: string;
  renewedKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by another CA: the server must not trust it. */
  strangerCert: string;
  strangerKey: string;
  read(file: string): Buffer;
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-pki-'));
  const p = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string): void => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(name));
  const ca = (name: string, cn: string): void => {
    key(`${name}.key`);
    openssl('req', '-x509', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-days', '2', '-out', p(`${name}.crt`), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, signer: string, cn: string, ext: string): void => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-out', p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${signer}.crt`), '-CAkey', p(`${signer}.key`), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`));
  };
  ca('ca', 'rtc-test-ca');
  ca('other-ca', 'rtc-other-ca');
  leaf('server', 'ca', 'rtc-room-monitor', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('renewed', 'ca', 'rtc-room-monitor', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'prometheus', 'subjectAltName=DNS:prometheus.test\nextendedKeyUsage=clientAuth\n');
  leaf('stranger', 'other-ca', 'stranger', 'subjectAltName=DNS:stranger.test\nextendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    renewedCert: p('renewed.crt'),
    renewedKey: p('renewed.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    read: (file) => readFileSync(file),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { PeerInfo, subjectAltNames, tlsServerSettings } from '../../src/http/tls-options';
import type { ClientAuthType, WebTlsConfig } from '../../src/http/web-config';

const material = { cert: Buffer.from('c'), key: Buffer.from('k'), ca: Buffer.from('a'), notAfter: '' };
const config = (clientAuthType: ClientAuthType, clientAllowedSans?: string[]): WebTlsConfig => ({
  cert: { keyPath: 'tls_server_config.cert', inline: 'c' },
  key: { keyPath: 'tls_server_config.key', inline: 'k' },
  clientAuthType,
  clientAllowedSans,
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  preferServerCipherSuites: true,
});

const none: PeerInfo = { hasCertificate: false, authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT' };
const trusted: PeerInfo = { hasCertificate: true, authorized: true, subjectAltName: 'DNS:prometheus.test' };
const untrusted: PeerInfo = { hasCertificate: true, authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', subjectAltName: 'DNS:x' };

describe('tlsServerSettings', () => {
  it.each([
    // mode, requestCert, rejectUnauthorized, [no cert, trusted cert, untrusted cert] served?
    ['NoClientCert', false, false, [true, true, true]],
    ['RequestClientCert', true, false, [true, true, true]],
    ['RequireAnyClientCert', true, false, [false, true, true]],
    ['VerifyClientCertIfGiven', true, false, [true, true, false]],
    ['RequireAndVerifyClientCert', true, true, [false, true, false]],
  ] as const)('%s', (mode, requestCert, rejectUnauthorized, served) => {
    const s = tlsServerSettings(config(mode), material);
    expect({ requestCert: s.requestCert, rejectUnauthorized: s.rejectUnauthorized }).toEqual({ requestCert, rejectUnauthorized });
    expect([none, trusted, untrusted].map((p) => s.peerRefusal(p) === undefined)).toEqual(served);
  });

  it('passes versions and the client CA to the secure context', () => {
    expect(tlsServerSettings(config('RequireAndVerifyClientCert'), material).context).toMatchObject({ ca: material.ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', honorCipherOrder: true });
  });

  it('refuses a certificate without an allowed SAN', () => {
    const s = tlsServerSettings(config('RequireAndVerifyClientCert', ['prometheus.test', '10.0.0.1']), material);
    expect(s.peerRefusal(trusted)).toBeUndefined();
    expect(s.peerRefusal({ ...trusted, subjectAltName: 'DNS:other.test, IP Address:10.0.0.1' })).toBeUndefined();
    expect(s.peerRefusal({ ...trusted, subjectAltName: 'DNS:other.test' })).toBe('client certificate has none of client_allowed_sans');
  });
});

describe('subjectAltNames', () => {
  it.each([
    [undefined, []],
    ['DNS:a.example, IP Address:127.0.0.1, email:x@y.z', ['a.example', '127.0.0.1', 'x@y.z']],
    ['URI:"spiffe://a,b", DNS:c', ['spiffe://a,b', 'c']],
  ])('%s', (input, expected) => {
    expect(subjectAltNames(input)).toEqual(expected);
  });
});

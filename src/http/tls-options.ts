import type { SecureContextOptions } from 'node:tls';
import type { TlsMaterial } from './web-config-file';
import type { WebTlsConfig } from './web-config';

/**
 * A web config's TLS section in Node's terms. Pure. Go's five client-auth policies map onto OpenSSL's
 * two switches (ask for a certificate; fail the handshake unless it verifies) plus a check after the
 * handshake for the policies OpenSSL cannot express (a certificate required but not verified; verified
 * only if given; allowed SANs).
 */

export interface TlsServerSettings {
  context: SecureContextOptions;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** After the handshake: why this peer must be disconnected, or undefined to serve it. */
  peerRefusal(peer: PeerInfo): string | undefined;
}

/** What the check needs from a TLS socket (tests pass plain objects). */
export interface PeerInfo {
  /** Whether the client sent a certificate. */
  hasCertificate: boolean;
  /** Whether it verified against the client CA. */
  authorized: boolean;
  /** OpenSSL's verification error, when not authorized. */
  authorizationError?: string;
  /** Node's `subjectaltname` string: "DNS:a.example, IP Address:10.0.0.1, email:x@y, URI:spiffe://…". */
  subjectAltName?: string;
}

export function tlsServerSettings(tls: WebTlsConfig, material: TlsMaterial): TlsServerSettings {
  const context: SecureContextOptions = {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    honorCipherOrder: tls.preferServerCipherSuites,
    ecdhCurve: tls.curves?.join(':'),
  };
  const mode = tls.clientAuthType;
  const sans = tls.clientAllowedSans;
  return {
    context,
    requestCert: mode !== 'NoClientCert',
    rejectUnauthorized: mode === 'RequireAndVerifyClientCert',
    peerRefusal(peer) {
      switch (mode) {
        case 'RequireAnyClientCert':
          if (!peer.hasCertificate) return 'no client certificate';
          break;
        case 'VerifyClientCertIfGiven':
          if (peer.hasCertificate && !peer.authorized) return `client certificate not trusted: ${peer.authorizationError ?? 'unknown'}`;
          break;
        case 'RequireAndVerifyClientCert':
          if (!peer.hasCertificate) return 'no client certificate';
          if (!peer.authorized) return `client certificate not trusted: ${peer.authorizationError ?? 'unknown'}`;
          break;
        default:
          break;
      }
      if (sans && !subjectAltNames(peer.subjectAltName).some((n) => sans.includes(n))) return 'client certificate has none of client_allowed_sans';
      return undefined;
    },
  };
}

/** The values of Node's `subjectaltname` string, without their type prefixes. */
export function subjectAltNames(s: string | undefined): string[] {
  if (!s) return [];
  // Node quotes a value that contains a comma or quote as a JSON string, e.g. URI:"a,b".
  const out: string[] = [];
  const re = /(?:^|,\s*)(DNS|IP Address|email|URI|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const raw = m[2] ?? '';
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssue } from '../config/load';

/**
 * The `--web.config.file` format of Prometheus' exporter-toolkit (`web-config.yml`): TLS, basic auth and
 * extra response headers for the daemon's own endpoint. Shape, defaults and validation live here; every
 * error names its key path. Unknown keys are errors, as in the toolkit's strict YAML. Pure: the caller
 * reads the file (and the certificate files it names, see web-config-file.ts).
 */

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Toolkit version names → Node's `minVersion` / `maxVersion` values. */
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;
export type NodeTlsVersion = (typeof TLS_VERSIONS)[TlsVersionName];

/** Toolkit curve names → OpenSSL group names (Node's `ecdhCurve`). */
const CURVES = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' } as const;

/**
 * The headers the toolkit lets a web config add, with the values it accepts where the header is an
 * enumeration (undefined: any value). Kept the same so one web-config.yml works across exporters.
 */
const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/** bcrypt in modular crypt format: $2a$ / $2b$ / $2y$ (htpasswd -B), two-digit cost, 53 characters of salt + hash. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** PEM material, inline in the web config or in a file (an absolute path, resolved against the web config's directory). */
export type PemSource = { keyPath: string; file: string } | { keyPath: string; inline: string };

export interface WebTlsConfig {
  cert: PemSource;
  key: PemSource;
  clientCa?: PemSource;
  clientAuthType: ClientAuthType;
  /** Subject alternative names a client certificate must carry one of (DNS, IP, e-mail or URI). */
  clientAllowedSans?: string[];
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
  preferServerCipherSuites: boolean;
  /** OpenSSL group names, in preference order. */
  curves?: string[];
}

export interface WebConfig {
  /** Absent: plain HTTP (the toolkit too serves HTTP when no TLS key is set). */
  tls?: WebTlsConfig;
  /** Added to every response. */
  headers: Record<string, string>;
  /** user → bcrypt hash; empty: no basic auth. */
  users: Record<string, string>;
}

const unsupported = (why: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) ctx.addIssue({ code: 'custom', message: `not supported by rtc-room-monitor: ${why}` });
    })
    .optional();

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');
const version = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]], { error: `must be one of ${Object.keys(TLS_VERSIONS).join(', ')}` });

const tlsServerConfig = z.strictObject({
  cert: nonEmpty.optional(),
  key: nonEmpty.optional(),
  client_ca: nonEmpty.optional(),
  cert_file: nonEmpty.optional(),
  key_file: nonEmpty.optional(),
  client_ca_file: nonEmpty.optional(),
  // RequireClientCert: the toolkit's older name for RequireAnyClientCert, still accepted there.
  client_auth_type: z.enum([...CLIENT_AUTH_TYPES, 'RequireClientCert'], { error: `must be one of ${CLIENT_AUTH_TYPES.join(', ')}` }).optional(),
  client_allowed_sans: z.array(nonEmpty).optional(),
  min_version: version.default('TLS12'),
  max_version: version.default('TLS13'),
  cipher_suites: unsupported('Node.js names cipher suites differently from Go; its default TLS 1.2/1.3 suites are used'),
  prefer_server_cipher_suites: z.boolean().default(true),
  curve_preferences: z.array(z.enum(Object.keys(CURVES) as [keyof typeof CURVES], { error: `must be one of ${Object.keys(CURVES).join(', ')}` })).optional(),
});

const httpServerConfig = z.strictObject({
  // Node's https server speaks HTTP/1.1 only; the key is accepted so a shared web-config.yml still loads.
  http2: z.boolean().optional(),
  headers: z
    .record(z.string(), z.string({ error: 'must be a string' }).nullable())
    .nullish()
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers ?? {})) {
        if (!Object.hasOwn(ALLOWED_HEADERS, name)) {
          ctx.addIssue({ code: 'custom', path: [name], message: `can not be configured (allowed: ${Object.keys(ALLOWED_HEADERS).join(', ')})` });
          continue;
        }
        const allowed = ALLOWED_HEADERS[name];
        if (value && allowed && !allowed.includes(value)) ctx.addIssue({ code: 'custom', path: [name], message: `must be one of ${allowed.join(', ')}` });
        if (value && /[\r\n]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be a single line' });
      }
    }),
});

const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfig.nullish(),
  http_server_config: httpServerConfig.nullish(),
  basic_auth_users: z
    .record(z.string().min(1, 'user names must be non-empty'), z.string({ error: 'must be a bcrypt hash string' }))
    .nullish()
    .superRefine((users, ctx) => {
      for (const [user, hash] of Object.entries(users ?? {})) {
        if (user.includes(':')) ctx.addIssue({ code: 'custom', path: [user], message: 'user names can not contain ":" (basic auth separates user and password with it)' });
        // The hash itself is never echoed: it is a secret in the toolkit's terms.
        if (!BCRYPT_HASH.test(hash)) ctx.addIssue({ code: 'custom', path: [user], message: 'must be a bcrypt hash, e.g. from htpasswd -nBC 10 "" | tr -d \':\\n\'' });
      }
    }),
  rate_limit: unsupported('limit connections with server.maxConnections in the main config'),
});

type RawTls = z.infer<typeof tlsServerConfig>;

/** Parse the text of a web config file. Relative file names are resolved against the file's directory. */
export function parseWebConfig(text: string, file: string): WebConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `(yaml): ${e.message.split('\n')[0]}`));
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, ['(root): must be a YAML mapping']);
  const result = webConfigSchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.flatMap((i) => describeIssue(i, raw));
  // The TLS rules run whenever its section has the right shape, so one run lists every problem.
  const rawTls = tlsServerConfig.nullish().safeParse((raw as Record<string, unknown>).tls_server_config);
  const tls = rawTls.success && rawTls.data ? tlsConfig(rawTls.data, dirname(resolve(file)), problems) : undefined;
  if (!result.success || problems.length > 0) throw new ConfigError(file, problems);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.data.http_server_config?.headers ?? {})) if (value) headers[name] = value; // blank = unset
  return { tls, headers, users: { ...(result.data.basic_auth_users ?? {}) } };
}

/** The toolkit's rules for a TLS section; undefined when no TLS key is set (plain HTTP). */
function tlsConfig(t: RawTls, dir: string, problems: string[]): WebTlsConfig | undefined {
  const enabled = [t.cert, t.key, t.cert_file, t.key_file, t.client_ca, t.client_ca_file, t.client_auth_type].some((v) => v !== undefined);
  if (!enabled) return undefined;
  const p = (key: string, message: string): void => void problems.push(`tls_server_config.${key}: ${message}`);
  const pem = (inlineKey: 'cert' | 'key' | 'client_ca', fileKey: 'cert_file' | 'key_file' | 'client_ca_file', required: boolean): PemSource | undefined => {
    const inline = t[inlineKey];
    const file = t[fileKey];
    if (inline !== undefined && file !== undefined) p(fileKey, `set ${inlineKey} or ${fileKey}, not both`);
    else if (file !== undefined) return { keyPath: `tls_server_config.${fileKey}`, file: resolve(dir, file) };
    else if (inline !== undefined) return { keyPath: `tls_server_config.${inlineKey}`, inline };
    else if (required) p(fileKey, `is required when TLS is configured (or ${inlineKey} inline)`);
    return undefined;
  };
  const cert = pem('cert', 'cert_file', true);
  const key = pem('key', 'key_file', true);
  const clientCa = pem('client_ca', 'client_ca_file', false);
  const clientAuthType: ClientAuthType = t.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : (t.client_auth_type ?? 'NoClientCert');

  if (clientCa && clientAuthType === 'NoClientCert') p('client_auth_type', 'a client CA is set, so it must ask for client certificates (RequireAndVerifyClientCert to enforce them)');
  if (!clientCa && (clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert')) p('client_ca_file', `is required when client_auth_type is ${clientAuthType}`);
  if (t.client_allowed_sans && clientAuthType !== 'RequireAnyClientCert' && clientAuthType !== 'RequireAndVerifyClientCert') {
    p('client_allowed_sans', 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (otherwise a client may send no certificate)');
  }
  const order = Object.keys(TLS_VERSIONS);
  if (order.indexOf(t.min_version) > order.indexOf(t.max_version)) p('min_version', `must not be above max_version (${t.max_version})`);
  if (!cert || !key) return undefined;
  return {
    cert,
    key,
    clientCa,
    clientAuthType,
    clientAllowedSans: t.client_allowed_sans,
    minVersion: TLS_VERSIONS[t.min_version],
    maxVersion: TLS_VERSIONS[t.max_version],
    preferServerCipherSuites: t.prefer_server_cipher_suites,
    curves: t.curve_preferences?.map((c) => CURVES[c]),
  };
}

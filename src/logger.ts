import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Paths pino censors wherever they appear. The secret is never put in a log object on purpose; this is
 * the second fence in case someone logs a whole credentials or config object.
 */
const REDACT = [
  'secretKey',
  'secretAccessKey',
  '*.secretKey',
  '*.secretAccessKey',
  'credentials',
  '*.credentials',
  'headers.Authorization',
  '*.headers.Authorization',
  'secret',
  '*.secret',
  'webhook.secret',
  '*.webhook.secret',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}

/**
 * Member events go to stdout as pino lines that carry the event's own ISO `time`, so this logger has
 * pino's numeric timestamp turned off (two `time` keys in one line would be ambiguous).
 */
export function createEventLogger(): Logger {
  return pino({ timestamp: false, base: null });
}

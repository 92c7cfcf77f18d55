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

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The pino level from LOG_LEVEL; an unknown value is an error that names the variable. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): string {
  const level = (env.LOG_LEVEL ?? 'info').trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(level)) throw new Error(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`);
  return level;
}

export function createLogger(level = 'info'): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}

/**
 * Member events go to stdout as pino lines that carry the event's own ISO `time`, so this logger has
 * pino's numeric timestamp turned off (two `time` keys in one line would be ambiguous).
 */
export function createEventLogger(): Logger {
  return pino({ timestamp: false, base: null });
}

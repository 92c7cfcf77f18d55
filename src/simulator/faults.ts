import { z } from 'zod';

/**
 * Injected failures, each a probability per accepted API request. At most one fault hits a request:
 * one uniform draw is walked through the kinds in a fixed order, so each kind fires with exactly its
 * own probability (which is why the probabilities must sum to at most 1).
 */

export const FAULT_KINDS = [
  'status500',
  'status429',
  'hang',
  'malformedJson',
  'connectionReset',
  'missingResult',
  'errorOn200',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultProbabilities = Record<FaultKind, number>;

export interface FaultSettings extends FaultProbabilities {
  /** Added before every API response (not before hangs or resets); default 0. */
  latencyMs: number;
}

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  status500: 0,
  status429: 0,
  hang: 0,
  malformedJson: 0,
  connectionReset: 0,
  missingResult: 0,
  errorOn200: 0,
  latencyMs: 0,
});

const probability = z.number().min(0).max(1);

/** A partial update, as accepted by setFaults and POST /_sim/faults. */
export const faultUpdateSchema = z
  .object({
    status500: probability,
    status429: probability,
    hang: probability,
    malformedJson: probability,
    connectionReset: probability,
    missingResult: probability,
    errorOn200: probability,
    latencyMs: z.number().int().min(0).max(600_000),
  })
  .partial()
  .strict();

export type FaultUpdate = z.infer<typeof faultUpdateSchema>;

/** `current` with `update` applied; throws RangeError with `faults.<key>: ...` lines when invalid. */
export function mergeFaults(current: Readonly<FaultSettings>, update: unknown): FaultSettings {
  const parsed = faultUpdateSchema.safeParse(update);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.');
      return `faults.${key}: ${i.code === 'unrecognized_keys' ? 'unknown key' : i.message}`;
    });
    throw new RangeError(lines.join('; '));
  }
  const next: FaultSettings = { ...current };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) next[key as keyof FaultSettings] = value;
  }
  const sum = FAULT_KINDS.reduce((acc, kind) => acc + next[kind], 0);
  if (sum > 1 + 1e-9) throw new RangeError(`faults: probabilities sum to ${sum}, must be at most 1`);
  return next;
}

/** The fault for a uniform draw `u` in [0, 1), or undefined for a normal response. */
export function pickFault(settings: Readonly<FaultProbabilities>, u: number): FaultKind | undefined {
  let rest = u;
  for (const kind of FAULT_KINDS) {
    if (rest < settings[kind]) return kind;
    rest -= settings[kind];
  }
  return undefined;
}

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { faultUpdateSchema } from './faults';
import { SimulatorOptions } from './simulator';

/**
 * The standalone simulator's optional YAML file: the world and its behaviour. Where it listens and
 * which key it accepts come from flags and the environment, not from here.
 *
 *   seed: 7
 *   capQps: 40
 *   defaultChurn: {joinsPerMinute: 6, leavesPerMinute: 6}
 *   faults: {status500: 0.01, latencyMs: 20}
 *   rooms:
 *     - {appId: demo-app, roomId: lobby, visible: 20, invisible: 3}
 *   dataDelayMs: 20000        # ListRoomInfo shows a call this long after it starts
 *   callbacks:                # push a signed callback for every change (secret: --callback-secret or
 *     url: http://127.0.0.1:9479/callbacks/rtc     #   RTC_CALLBACK_SECRET)
 *     delayMaxMs: 500
 *     lossProbability: 0.03
 *   calls:                    # times in seconds from the simulator's start
 *     - {appId: demo-app, roomId: class-1, startSeconds: -60, endSeconds: 300, visible: 5}
 */

const rate = z.number().min(0);
const probability = z.number().min(0).lt(1);
const churnSchema = z
  .object({
    joinsPerMinute: rate,
    leavesPerMinute: rate,
    visibilityChangesPerMinute: rate,
    invisibleJoinRatio: z.number().min(0).max(1),
    closeProbabilityPerMinute: probability,
    reopenProbabilityPerMinute: probability,
    paused: z.boolean(),
  })
  .partial()
  .strict();

const count = z.number().int().min(0).max(1_000_000);
const id = z.string().min(1).max(128);

const roomSchema = z
  .object({
    appId: id,
    roomId: id,
    exists: z.boolean().optional(),
    visible: count.optional(),
    invisible: count.optional(),
    churn: churnSchema.optional(),
  })
  .strict();

const callSchema = z
  .object({
    appId: id,
    roomId: id,
    /** Seconds from the simulator's start (negative: already running at start). */
    startSeconds: z.number(),
    /** Seconds from the simulator's start; absent: runs until the simulator stops. */
    endSeconds: z.number().optional(),
    visible: count.optional(),
    churn: churnSchema.optional(),
  })
  .strict()
  .refine((c) => c.endSeconds === undefined || c.endSeconds >= c.startSeconds, { message: 'endSeconds must be >= startSeconds', path: ['endSeconds'] });

const fileSchema = z
  .object({
    seed: z.number().int().optional(),
    region: z.string().min(1).optional(),
    service: z.string().min(1).optional(),
    capQps: z.number().positive().optional(),
    maxInvisibleList: count.optional(),
    recordServed: z.boolean().optional(),
    defaultChurn: churnSchema.optional(),
    faults: faultUpdateSchema.optional(),
    rooms: z.array(roomSchema).min(1),
    /** Calls over time, for ListRoomInfo; their rooms exist while they run. */
    calls: z.array(callSchema).optional(),
    dataDelayMs: z.number().int().min(0).optional(),
    listCapQps: z.number().positive().optional(),
    maxListable: count.optional(),
    shape: z.enum(['volcengine', 'byteplus']).optional(),
    callbacks: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        delayMinMs: z.number().min(0).optional(),
        delayMaxMs: z.number().min(0).optional(),
        lossProbability: z.number().min(0).max(1).optional(),
        duplicateProbability: z.number().min(0).max(1).optional(),
        reorderProbability: z.number().min(0).max(1).optional(),
        reorderDelayMs: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SimConfigFile = Omit<SimulatorOptions, 'credentials' | 'host' | 'port' | 'now' | 'callbacks'> & {
  /** Without the secret, which comes from the command line or the environment. */
  callbacks?: Omit<NonNullable<SimulatorOptions['callbacks']>, 'secret'>;
};

/** Parses and validates the YAML text; throws an Error listing `key.path: problem` lines. */
export function parseSimConfig(text: string, file = '<simulator config>'): SimConfigFile {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new Error(`${file}: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
  }
  const result = fileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const path = i.path.join('.') || '(root)';
      return i.code === 'unrecognized_keys' ? `${path}: unknown key(s) ${i.keys.join(', ')}` : `${path}: ${i.message}`;
    });
    throw new Error(`${file}:\n  ${lines.join('\n  ')}`);
  }
  const { calls, ...rest } = result.data;
  if (!calls) return rest;
  const start = Date.now();
  return {
    ...rest,
    calls: calls.map((c) => ({
      appId: c.appId,
      roomId: c.roomId,
      startMs: start + c.startSeconds * 1000,
      endMs: c.endSeconds === undefined ? undefined : start + c.endSeconds * 1000,
      visible: c.visible,
      churn: c.churn,
    })),
  };
}

export function loadSimConfig(file: string): SimConfigFile {
  return parseSimConfig(readFileSync(file, 'utf8'), file);
}

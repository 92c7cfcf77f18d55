import type Redis from 'ioredis';
import { StaleLeaderError } from '../store/store';

export { StaleLeaderError };

/**
 * Fencing for commits. Every write a leader makes to the shared state runs as one Lua script that first
 * checks, inside Redis, that the lease still holds the writer's token. A deposed leader (paused past its
 * lease, or cut off) therefore cannot commit, however late its write arrives: the check and the write are
 * one atomic step on the server.
 *
 * The lease value is "<token>:<replica id>" (redis-lease.ts). Convention for fenced scripts: KEYS[1] is
 * the lease key and ARGV[1] the writer's token; the body's own keys and arguments follow (KEYS[2..],
 * ARGV[2..]).
 */

/** Error reply prefix of a write refused by the fence (Redis error replies start with a code word). */
export const FENCED_ERROR_CODE = 'FENCED';

/** Lua preamble that rejects the script unless the lease holds ARGV[1]; prepend it to a commit script. */
export const FENCE_LUA = `
local rtc_lease = redis.call('GET', KEYS[1])
if not rtc_lease or string.match(rtc_lease, '^(%d+):') ~= ARGV[1] then
  return redis.error_reply('${FENCED_ERROR_CODE} token ' .. ARGV[1] .. ' no longer holds the lease')
end
`;

/** A fenced script: the fence, then `body` (which may use KEYS[2..] and ARGV[2..]). */
export function fencedScript(body: string): string {
  return `${FENCE_LUA}\n${body}`;
}


/**
 * Run `body` atomically if and only if `token` still holds the lease at `leaseKey`; rejects with
 * StaleLeaderError otherwise. EVALSHA with a cached script is ioredis's job (defineCommand would need a
 * name per script; eval keeps this helper generic and the script text is small).
 */
export async function fencedExec(
  redis: Redis,
  leaseKey: string,
  token: number,
  body: string,
  keys: readonly string[] = [],
  args: readonly (string | number)[] = [],
): Promise<unknown> {
  try {
    return await redis.eval(fencedScript(body), 1 + keys.length, leaseKey, ...keys, String(token), ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(FENCED_ERROR_CODE)) throw new StaleLeaderError(token);
    throw err;
  }
}

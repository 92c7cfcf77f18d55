import { ChurnSpec } from './churn';
import { FaultSettings, FaultUpdate } from './faults';
import { ControlReply } from './server';
import { SimStats } from './stats';
import { World } from './world';

/**
 * The unsigned /_sim/ endpoints, for the standalone simulator (demo, docker-compose, benchmarks):
 *
 *   GET  /_sim/stats                          traffic counters (and `callbacks`: pushed callbacks)
 *   POST /_sim/callbacks {lossProbability?, duplicateProbability?, reorderProbability?, delayMinMs?, ...}
 *                                             change how pushed callbacks are delivered
 *   GET  /_sim/faults                         current fault settings
 *   POST /_sim/faults   {hang: 0.1, ...}      partial update
 *   POST /_sim/churn    {appId?, roomId?, joinsPerMinute?, paused?, ...}   one room, or the default
 *   GET  /_sim/rooms                          known rooms
 *   GET  /_sim/rooms/:appId/:roomId           full current membership
 *   POST /_sim/rooms/:appId/:roomId/close     close the room (members dropped)
 *   POST /_sim/rooms/:appId/:roomId/open      reopen it, empty
 *   POST /_sim/rooms/:appId/:roomId/members {userId, visibility?}   a member joins (or switches
 *                                             visibility); an unknown room is created
 */

export interface ControlTarget {
  readonly world: World;
  stats(): SimStats;
  faults(): FaultSettings;
  /** Validates at run time (the body is untrusted JSON); throws RangeError on an invalid update. */
  setFaults(update: FaultUpdate): FaultSettings;
  callbackStats?(): unknown;
  /** Throws RangeError when the simulator pushes no callbacks. */
  setCallbackFaults?(update: Record<string, number>): void;
}

const CALLBACK_KNOBS: Record<string, [min: number, max: number]> = {
  delayMinMs: [0, 600_000],
  delayMaxMs: [0, 600_000],
  lossProbability: [0, 1],
  duplicateProbability: [0, 1],
  reorderProbability: [0, 1],
  reorderDelayMs: [0, 600_000],
};

function callbackUpdate(request: Record<string, unknown>): Record<string, number> {
  for (const [key, value] of Object.entries(request)) {
    const range = CALLBACK_KNOBS[key];
    if (!range) throw new RangeError(`${key}: unknown setting`);
    if (typeof value !== 'number' || !(value >= range[0] && value <= range[1])) throw new RangeError(`${key}: must be a number from ${range[0]} to ${range[1]}`);
  }
  return request as Record<string, number>;
}

function parseJsonObject(body: string): Record<string, unknown> {
  const value: unknown = body.trim() === '' ? {} : JSON.parse(body);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RangeError('body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function changeChurn(world: World, request: Record<string, unknown>): ControlReply {
  const { appId, roomId, ...churn } = request;
  if (appId === undefined && roomId === undefined) {
    world.setChurn(churn as ChurnSpec);
    return { status: 200, body: { ok: true } };
  }
  if (typeof appId !== 'string' || typeof roomId !== 'string') {
    throw new RangeError('appId and roomId: give both as strings, or neither');
  }
  world.setChurn(churn as ChurnSpec, appId, roomId);
  return { status: 200, body: { ok: true, churn: world.churnOf(appId, roomId) } };
}

export function handleControl(target: ControlTarget, method: string, path: string, body: string): ControlReply {
  try {
    return route(target, method, path, body);
  } catch (err) {
    // Bad input from the caller (JSON syntax, validation): the message says which field.
    return { status: 400, body: { error: (err as Error).message } };
  }
}

function route(target: ControlTarget, method: string, path: string, body: string): ControlReply {
  const parts = path.split('/').slice(2).map(decodeURIComponent); // ['', '_sim', ...]
  const [resource, appId, roomId, verb] = parts;
  const key = `${method} ${resource ?? ''}`;
  if (key === 'GET stats' && parts.length === 1) {
    const callbacks = target.callbackStats?.();
    return { status: 200, body: callbacks ? { ...target.stats(), callbacks } : target.stats() };
  }
  if (key === 'POST callbacks' && parts.length === 1) {
    if (!target.setCallbackFaults) throw new RangeError('the simulator pushes no callbacks');
    target.setCallbackFaults(callbackUpdate(parseJsonObject(body)));
    return { status: 200, body: { ok: true } };
  }
  if (key === 'GET faults' && parts.length === 1) return { status: 200, body: target.faults() };
  if (key === 'POST faults' && parts.length === 1) {
    return { status: 200, body: target.setFaults(parseJsonObject(body) as FaultUpdate) };
  }
  if (key === 'POST churn' && parts.length === 1) return changeChurn(target.world, parseJsonObject(body));
  if (resource === 'rooms' && parts.length === 1 && method === 'GET') {
    return { status: 200, body: target.world.roomKeys() };
  }
  if (resource === 'rooms' && appId !== undefined && roomId !== undefined) {
    if (parts.length === 3 && method === 'GET') {
      const churn = target.world.churnOf(appId, roomId);
      return { status: 200, body: { ...target.world.snapshot(appId, roomId), churn } };
    }
    if (parts.length === 4 && method === 'POST' && verb === 'members') {
      const { userId, visibility = 'visible' } = parseJsonObject(body);
      if (typeof userId !== 'string' || userId === '') throw new RangeError('userId: must be a non-empty string');
      if (visibility !== 'visible' && visibility !== 'invisible') throw new RangeError('visibility: must be visible or invisible');
      target.world.addMember(appId, roomId, userId, visibility);
      return { status: 200, body: target.world.snapshot(appId, roomId) };
    }
    if (parts.length === 4 && method === 'POST' && (verb === 'close' || verb === 'open')) {
      if (verb === 'close') target.world.closeRoom(appId, roomId);
      else target.world.openRoom(appId, roomId);
      return { status: 200, body: target.world.snapshot(appId, roomId) };
    }
  }
  return { status: 404, body: { error: `no control endpoint ${method} ${path}` } };
}

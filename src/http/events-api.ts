import type { StateStore } from '../store/store';

export const EVENTS_API_DEFAULT_LIMIT = 100;
export const EVENTS_API_MAX_LIMIT = 1000;

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * GET /api/events?after=ID&limit=N: committed events with id > after, oldest first, as
 * `{"events":[...],"lastId":N}`. A consumer that was away catches up by passing the id of the last event it
 * saw; `lastId` is the newest id in the log, so `events` ending below it means "ask again".
 */
export async function eventsApi(log: Pick<StateStore, 'readEvents' | 'lastEventId'>, query: URLSearchParams): Promise<ApiResponse> {
  const after = intParam(query, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(query, 'limit', EVENTS_API_DEFAULT_LIMIT, 1, EVENTS_API_MAX_LIMIT);
  if (typeof after === 'string') return badRequest(after);
  if (typeof limit === 'string') return badRequest(limit);
  const [events, lastId] = await Promise.all([log.readEvents(after, limit), log.lastEventId()]);
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ events, lastId }) };
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number | string {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) return `${name}: must be an integer from ${min} to ${max}`;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : `${name}: must be an integer from ${min} to ${max}`;
}

function badRequest(message: string): ApiResponse {
  return { status: 400, contentType: 'application/json', body: JSON.stringify({ error: message }) };
}

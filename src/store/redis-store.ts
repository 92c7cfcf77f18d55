import type Redis from 'ioredis';
import { FENCED_ERROR_CODE, fencedScript } from '../cluster/fencing';
import type { RoomEvent } from '../rooms/room-event';
import { roomKey } from '../rooms/room-event';
import { BASELINE_MISSING_CODE, CALLBACK_ID_RETENTION_MS, CommitNotifier, Fence, PollCommit, PRUNE_EVERY_MS, RetentionPolicy, StaleLeaderError, StateStore, StateWriteError, StoredRoom } from './store';

/**
 * The shared store of cluster mode (`state.backend: redis`): every replica reads the same membership and
 * event log, so a new leader continues from the last committed poll.
 *
 * Keys (all under cluster.redis.keyPrefix, `<p>`):
 * - `<p>rooms`                  hash  roomKey → roomKey (the index of rooms with a baseline)
 * - `<p>room:<roomKey>:fields`  hash  exists, totalUsers, totalInvisibleUsers, lastSuccessMs
 * - `<p>room:<roomKey>:members` hash  userId → 0 (visible) / 1 (invisible)
 * - `<p>events`                 stream, entry id `<eventId>-0`, fields `e` (the event as JSON, without id)
 *                               and `t` (commit time, ms); users may read it with XREAD / XREADGROUP
 * - `<p>event-id`               the last allocated event id (INCRBY inside the commit script)
 * - `<p>cursors`                hash  sink name → last event id it finished with
 *
 * A commit is ONE script: the fence (the lease must still hold the writer's token), then the member
 * changes, the room's fields and the events. A stale token commits nothing. Every other write (room
 * retention, cursors, id continuation, pruning) is a fenced script too: a standby writes nothing.
 */

/** Error reply of a diff commit to a room Redis holds no state for (its data was lost). */
const BASELINE_MISSING = 'BASELINEMISSING';

/** Entries the age-based prune looks at per call at most (bounds the time one script blocks Redis). */
const PRUNE_SCAN_MAX = 10_000;

// KEYS: 1 lease, 2 room index, 3 room fields, 4 room members, 5 stream, 6 id counter
// ARGV: 1 token, 2 header JSON, 3 commit time ms, 4.. event JSON strings
//
// A Lua script is not rolled back when a command fails halfway, so everything that can fail is checked
// BEFORE the first write: the keys' types, the counter's value, and the next event id, which must be above
// both the counter and the stream's last id (XADD refuses an id at or below it). A counter behind the
// stream (its key lost while the stream survived) therefore continues above the stream instead of
// failing every later commit after having written the member changes.
const COMMIT_BODY = `
local h = cjson.decode(ARGV[2])
if h.requireBaseline == 1 and not h.baseline and redis.call('EXISTS', KEYS[3]) == 0 then
  return redis.error_reply('${BASELINE_MISSING} the room has no committed state')
end
local want = { [2] = 'hash', [3] = 'hash', [4] = 'hash', [5] = 'stream', [6] = 'string' }
for i, t in pairs(want) do
  local got = redis.call('TYPE', KEYS[i])['ok']
  if got ~= 'none' and got ~= t then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' holds a ' .. got .. ', not a ' .. t .. '; nothing was written')
  end
end
local n = #ARGV - 3
local last = 0
if n > 0 then
  local counter = redis.call('GET', KEYS[6])
  last = tonumber(counter or '0')
  if last == nil or last ~= math.floor(last) or last < 0 then
    return redis.error_reply('BADCOUNTER ' .. KEYS[6] .. ' holds ' .. tostring(counter) .. ', not an event id; nothing was written')
  end
  if redis.call('EXISTS', KEYS[5]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[5])
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then
        local top = tonumber(string.match(info[i + 1], '^(%d+)-'))
        if top and top > last then last = top end
      end
    end
  end
end
local function hsetAll(key, ids, value)
  local args = {}
  for _, id in ipairs(ids) do
    args[#args + 1] = id
    args[#args + 1] = value
    if #args >= 2000 then
      redis.call('HSET', key, unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('HSET', key, unpack(args)) end
end
redis.call('HSET', KEYS[2], h.key, h.key)
if h.baseline then
  redis.call('DEL', KEYS[4])
  hsetAll(KEYS[4], h.baseline.invisible, 1)
  hsetAll(KEYS[4], h.baseline.visible, 0)
end
for _, c in ipairs(h.changes) do
  if c[2] == -1 then redis.call('HDEL', KEYS[4], c[1]) else redis.call('HSET', KEYS[4], c[1], c[2]) end
end
redis.call('HSET', KEYS[3], 'appId', h.appId, 'roomId', h.roomId, 'exists', h.exists, 'totalUsers', h.totalUsers, 'totalInvisibleUsers', h.totalInvisibleUsers, 'lastSuccessMs', h.lastSuccessMs)
if n == 0 then return 0 end
local first = last + 1
redis.call('SET', KEYS[6], string.format('%d', last + n))
for i = 1, n do
  redis.call('XADD', KEYS[5], string.format('%d', first + i - 1) .. '-0', 'e', ARGV[3 + i], 't', ARGV[3])
end
return first
`;

// Drops a prefix of the stream: first by count (exact MAXLEN), then every entry from the head whose commit
// time is before the cutoff, stopping at the first that is not (see prune()).
// KEYS: 1 lease, 2 stream; ARGV: 1 token, 2 maxEvents, 3 cutoff ms, 4 scan limit
const PRUNE_BODY = `
local removed = 0
if redis.call('XLEN', KEYS[2]) > tonumber(ARGV[2]) then
  removed = redis.call('XTRIM', KEYS[2], 'MAXLEN', ARGV[2])
end
local cutoff = tonumber(ARGV[3])
local scanned = 0
while scanned < tonumber(ARGV[4]) do
  local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 200)
  if #batch == 0 then break end
  local keep = nil
  for _, e in ipairs(batch) do
    local t = nil
    for i = 1, #e[2], 2 do if e[2][i] == 't' then t = tonumber(e[2][i + 1]) end end
    if t == nil or t >= cutoff then keep = e[1] break end
  end
  if keep then
    return removed + redis.call('XTRIM', KEYS[2], 'MINID', keep)
  end
  local lastId = batch[#batch][1]
  local ms = string.match(lastId, '^(%d+)-')
  removed = removed + redis.call('XTRIM', KEYS[2], 'MINID', ms .. '-1')
  scanned = scanned + #batch
end
return removed
`;

// KEYS: 1 lease, 2 id counter; ARGV: 1 token, 2 id
const CONTINUE_IDS_BODY = `
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if cur < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 0
`;

// The cursor only moves forward: a deposed leader's late ack cannot rewind the next leader's delivery.
// KEYS: 1 lease, 2 cursors hash; ARGV: 1 token, 2 name, 3 event id
const SET_CURSOR_BODY = `
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '-1')
if cur < tonumber(ARGV[3]) then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 0
`;

// KEYS: 1 lease, 2 room index, then per dropped room its fields and members keys; ARGV: 1 token, then
// the dropped room keys (in the order of their KEYS pairs).
const DROP_ROOMS_BODY = `
for i = 2, #ARGV do
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('DEL', KEYS[1 + 2 * (i - 1)], KEYS[2 + 2 * (i - 1)])
end
return #ARGV - 1
`;

/** Rooms one retention script drops at most (bounds the time one script blocks Redis). */
const DROP_BATCH = 500;

interface StoreCommands {
  rtcStoreCommit(...args: (string | number)[]): Promise<number>;
  rtcStorePrune(...args: (string | number)[]): Promise<number>;
  rtcStoreContinueIds(...args: (string | number)[]): Promise<number>;
  rtcStoreSetCursor(...args: (string | number)[]): Promise<number>;
  /** Variable key count: the first argument is the number of keys. */
  rtcStoreDropRooms(...args: (string | number)[]): Promise<number>;
}

export interface RedisStoreOptions {
  redis: Redis;
  /** cluster.redis.keyPrefix */
  keyPrefix: string;
  /** The lease key (redis-lease.ts leaseKey) every fenced commit checks. */
  leaseKey: string;
  /**
   * true (the daemon; the default): a diff commit (no `baseline`) to a room Redis holds nothing for is
   * refused with code BaselineMissing: Redis lost its data, and writing only the changes would leave a
   * partial member list that a later leader would take for the room. false: the plain store contract.
   * (Every write is fenced either way: it must carry the token the lease holds.)
   */
  requireBaseline?: boolean;
  retention: RetentionPolicy;
  now?: () => number;
}

export class RedisStore implements StateStore {
  readonly description: string;
  private readonly redis: Redis & StoreCommands;
  private readonly notifier = new CommitNotifier();
  private readonly now: () => number;
  private lastPruneMs: number;
  private readonly k: { rooms: string; events: string; eventId: string; cursors: string; lease: string; callbackIds: string };

  constructor(private readonly opts: RedisStoreOptions) {
    const p = opts.keyPrefix;
    this.k = { rooms: `${p}rooms`, events: `${p}events`, eventId: `${p}event-id`, cursors: `${p}cursors`, lease: opts.leaseKey, callbackIds: `${p}callback-ids` };
    this.description = `redis:${p}`;
    this.now = opts.now ?? Date.now;
    this.lastPruneMs = this.now();
    const redis = opts.redis as Redis & Partial<StoreCommands>;
    // defineCommand: EVALSHA with a fallback to EVAL when Redis has not cached the script (after a restart).
    if (!redis.rtcStoreCommit) {
      redis.defineCommand('rtcStoreCommit', { numberOfKeys: 6, lua: fencedScript(COMMIT_BODY) });
      redis.defineCommand('rtcStorePrune', { numberOfKeys: 2, lua: fencedScript(PRUNE_BODY) });
      redis.defineCommand('rtcStoreContinueIds', { numberOfKeys: 2, lua: fencedScript(CONTINUE_IDS_BODY) });
      redis.defineCommand('rtcStoreSetCursor', { numberOfKeys: 2, lua: fencedScript(SET_CURSOR_BODY) });
      redis.defineCommand('rtcStoreDropRooms', { lua: fencedScript(DROP_ROOMS_BODY) });
    }
    this.redis = redis as Redis & StoreCommands;
  }

  /** The stream users may read (README: cluster mode). */
  get streamKey(): string {
    return this.k.events;
  }

  private roomKeys(key: string): { fields: string; members: string } {
    const p = this.opts.keyPrefix;
    return { fields: `${p}room:${key}:fields`, members: `${p}room:${key}:members` };
  }

  async loadRooms(): Promise<StoredRoom[]> {
    const keys = await this.redis.hkeys(this.k.rooms);
    const out: StoredRoom[] = [];
    for (const key of keys) {
      const room = await this.loadByKey(key);
      if (room) out.push(room);
    }
    return out;
  }

  loadRoom(appId: string, roomId: string): Promise<StoredRoom | undefined> {
    return this.loadByKey(roomKey(appId, roomId));
  }

  private async loadByKey(key: string): Promise<StoredRoom | undefined> {
    const { fields, members } = this.roomKeys(key);
    const [f, m] = await Promise.all([this.redis.hgetall(fields), this.redis.hgetall(members)]);
    if (f.appId === undefined || f.roomId === undefined) return undefined;
    const visible: string[] = [];
    const invisible: string[] = [];
    for (const [id, inv] of Object.entries(m)) (inv === '1' ? invisible : visible).push(id);
    const lastSuccessMs = f.lastSuccessMs ? Number(f.lastSuccessMs) : undefined;
    return {
      appId: f.appId,
      roomId: f.roomId,
      exists: f.exists === '1',
      totalUsers: Number(f.totalUsers ?? 0),
      totalInvisibleUsers: Number(f.totalInvisibleUsers ?? 0),
      ...(lastSuccessMs !== undefined ? { lastSuccessMs } : {}),
      visible,
      invisible,
    };
  }

  async commitPoll(c: PollCommit, token: Fence): Promise<RoomEvent[]> {
    if (token === undefined) throw new StaleLeaderError(0);
    const key = roomKey(c.appId, c.roomId);
    const { fields, members } = this.roomKeys(key);
    const header = JSON.stringify({
      key,
      appId: c.appId,
      roomId: c.roomId,
      exists: c.exists ? 1 : 0,
      // Strings: Lua would print a large number in %.14g notation.
      totalUsers: String(c.totalUsers),
      totalInvisibleUsers: String(c.totalInvisibleUsers),
      // '' keeps the room's field empty (a callback's commit to a room not polled yet); read back as undefined.
      lastSuccessMs: c.lastSuccessMs === undefined ? '' : String(c.lastSuccessMs),
      requireBaseline: this.opts.requireBaseline === false ? 0 : 1,
      ...(c.baseline ? { baseline: { visible: [...c.baseline.visible], invisible: [...c.baseline.invisible] } } : {}),
      // -1: delete the member; 0 / 1: visible / invisible. Only the diff, never the whole room.
      changes: c.changes.map((ch) => [ch.userId, ch.type === 'leave' ? -1 : ch.visibility === 'invisible' ? 1 : 0]),
    });
    const atMs = this.now();
    const args = [this.k.lease, this.k.rooms, fields, members, this.k.events, this.k.eventId, String(token), header, atMs, ...c.events.map((e) => JSON.stringify({ ...e, source: e.source ?? 'poll' }))];
    let first: number;
    try {
      first = Number(await this.redis.rtcStoreCommit(...args));
    } catch (err) {
      if (isFenced(err)) throw new StaleLeaderError(token);
      if (err instanceof Error && err.message.startsWith(BASELINE_MISSING)) throw new StateWriteError(`${c.appId}/${c.roomId}: Redis holds no state for the room (lost?); its next poll commits a fresh baseline`, BASELINE_MISSING_CODE);
      throw writeError(err);
    }
    const committed = c.events.map((e, i) => ({ id: first + i, ...e, source: e.source ?? 'poll' }));
    // After the commit, not inside it: a lost id only lets a repeat of that callback through, which the
    // member's change time then finds stale or the same.
    if (c.callbackIds && c.callbackIds.length > 0) await this.redis.zadd(this.k.callbackIds, ...c.callbackIds.flatMap((id) => [atMs, id])).catch(() => undefined);
    if (committed.length > 0) {
      if (atMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.lastPruneMs = atMs;
        this.prune(atMs, token).catch(() => undefined); // retried at the next interval
      }
      this.notifier.notify(committed[committed.length - 1]!.id);
    }
    return committed;
  }

  async forgetRooms(drop: readonly string[], token: Fence): Promise<void> {
    if (token === undefined) throw new StaleLeaderError(0);
    // An empty script still checks the fence, so a stale writer learns it even with nothing to drop.
    for (let i = 0; i === 0 || i < drop.length; i += DROP_BATCH) {
      const batch = drop.slice(i, i + DROP_BATCH);
      const keys = [this.k.lease, this.k.rooms, ...batch.flatMap((key) => Object.values(this.roomKeys(key)))];
      await this.fenced(token, () => this.redis.rtcStoreDropRooms(keys.length, ...keys, String(token), ...batch));
    }
  }

  async readEvents(afterId: number, limit: number): Promise<RoomEvent[]> {
    if (limit <= 0) return [];
    const entries = await this.redis.xrange(this.k.events, `(${Math.max(0, Math.floor(afterId))}-0`, '+', 'COUNT', limit);
    return entries.map(([id, fieldList]) => {
      const e = fieldList[fieldList.indexOf('e') + 1]!;
      return { id: Number.parseInt(id, 10), ...(JSON.parse(e) as Omit<RoomEvent, 'id'>) };
    });
  }

  async lastEventId(): Promise<number> {
    return Number((await this.redis.get(this.k.eventId)) ?? 0);
  }

  async continueIdsAfter(id: number, token: Fence): Promise<void> {
    await this.fenced(token, (t) => this.redis.rtcStoreContinueIds(this.k.lease, this.k.eventId, t, Math.floor(id)));
  }

  onCommitted(listener: (lastId: number) => void): () => void {
    // Local commits only; a delivery also re-reads the log at least every second, so events committed by
    // another replica are picked up too.
    return this.notifier.subscribe(listener);
  }

  async getCursor(name: string): Promise<number | undefined> {
    const v = await this.redis.hget(this.k.cursors, name);
    return v === null ? undefined : Number(v);
  }

  async setCursor(name: string, eventId: number, token: Fence): Promise<void> {
    await this.fenced(token, (t) => this.redis.rtcStoreSetCursor(this.k.lease, this.k.cursors, t, name, Math.floor(eventId)));
  }

  /**
   * Count: exact XTRIM MAXLEN (`~` would keep whole radix-tree nodes, i.e. up to ~100 extra events).
   * Age: the stream ids are event ids, not times, so each entry carries its commit time `t`; the script
   * removes the longest prefix whose entries are all older than the cutoff (XTRIM MINID the first one that
   * is not). Commit times follow the ids except for clock skew between replicas; an entry is therefore
   * never removed early, at worst kept for the skew longer. One call scans at most PRUNE_SCAN_MAX entries
   * (the next prune continues), so a big backlog never blocks Redis for long.
   */
  async recentCallbackIds(sinceMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.k.callbackIds, sinceMs, '+inf');
  }

  async prune(nowMs: number, token: Fence): Promise<number> {
    const cutoff = nowMs - this.opts.retention.maxAgeSeconds * 1000;
    const removed = Number(await this.fenced(token, (t) => this.redis.rtcStorePrune(this.k.lease, this.k.events, t, this.opts.retention.maxEvents, cutoff, PRUNE_SCAN_MAX)));
    // Only after the fence let the prune through: old callback ids are housekeeping of the leader too.
    await this.redis.zremrangebyscore(this.k.callbackIds, '-inf', `(${nowMs - CALLBACK_ID_RETENTION_MS}`);
    return removed;
  }

  /** Run a fenced script; a missing token or the script's FENCED reply rejects with StaleLeaderError. */
  private async fenced<T>(token: Fence, run: (token: string) => Promise<T>): Promise<T> {
    if (token === undefined) throw new StaleLeaderError(0);
    try {
      return await run(String(token));
    } catch (err) {
      if (isFenced(err)) throw new StaleLeaderError(token);
      throw writeError(err);
    }
  }

  /** The connection belongs to the cluster (closed there). */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function isFenced(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(FENCED_ERROR_CODE);
}

function writeError(err: unknown): StateWriteError {
  return new StateWriteError(err instanceof Error ? err.message : String(err), 'REDIS_ERROR');
}

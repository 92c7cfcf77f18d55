import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ApiHandler, ApiOutcome } from './api-handler';
import { ChurnSpec } from './churn';
import { handleControl } from './control';
import { FaultSettings, FaultUpdate, NO_FAULTS, mergeFaults } from './faults';
import { FlowCap } from './flow-window';
import { createRng, hashSeed } from './rng';
import { ServedLog, ServedSnapshot } from './served-log';
import { SimHttpServer, SimTls } from './server';
import { DEFAULT_MAX_SKEW_MS } from './signature-check';
import { SimStats, StatsRecorder } from './stats';
import { SimRoomSpec, World, WorldChange } from './world';
import { CallbackPusher, CallbackPushSettings, CallbackPushStats, DEFAULT_CALLBACK_PUSH } from './callback-pusher';
import { CallTimeline, SimCallSpec } from './call-timeline';
import { DEFAULT_DATA_DELAY_MS, DEFAULT_LIST_CAP_QPS, DEFAULT_MAX_LISTABLE, ListRoomInfoHandler, ListRoomInfoStats } from './list-room-info-handler';

/** The built-in stand-in for the vendor API: a loopback HTTP server over a simulated world. */

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** The only key pair the simulator accepts. */
  credentials: SimCredentials;
  /** Default cn-north-1. */
  region?: string;
  /** Default rtc. */
  service?: string;
  /** Accepted requests per rolling second; default 40. */
  capQps?: number;
  rooms: SimRoomSpec[];
  /** Churn of rooms without their own; default none. */
  defaultChurn?: ChurnSpec;
  /** Seeds the world and the fault draws; default 1. */
  seed?: number;
  /** The simulator clock (epoch ms), for churn, the rate window and X-Date checks; default Date.now. */
  now?: () => number;
  /** Longest InvisibleUserList served; default 10,000. */
  maxInvisibleList?: number;
  /** Keep every snapshot served in a 200 (see servedSnapshots); default false. */
  recordServed?: boolean;
  faults?: FaultUpdate;
  /** Fixed delay before each API response; default 0. Same as faults.latencyMs. */
  latencyMs?: number;
  /** Largest accepted X-Date skew; default 15 minutes. */
  maxSkewMs?: number;
  /** Serve HTTPS with this certificate and key (the real API is HTTPS); default plain HTTP. */
  tls?: SimTls;
  /** Calls that start and end over time (ListRoomInfo lists them; their rooms exist while they run). */
  calls?: SimCallSpec[];
  /** ListRoomInfo requests accepted per rolling second; default 10. */
  listCapQps?: number;
  /** Calls one ListRoomInfo range may page through before HasMore; default 1000. */
  maxListable?: number;
  /** How long a call takes to show in (and to show as ended in) ListRoomInfo; default 20 s. */
  dataDelayMs?: number;
  /** "byteplus": GetRoomOnlineUsers answers `RoomExist` (BytePlus' spelling); default "volcengine". */
  shape?: 'volcengine' | 'byteplus';
  /** Told of every change of the world (a benchmark's record of the truth); rooms are then kept up to date every 20 ms. */
  onChange?: (change: WorldChange) => void;
  /** Push a signed room callback for every change of the world to `url` (see callback-pusher.ts). */
  callbacks?: Pick<CallbackPushSettings, 'url' | 'secret'> & Partial<CallbackPushSettings>;
}

/** How often a simulator that pushes callbacks brings its rooms up to date (and so announces changes). */
const CALLBACK_TICK_MS = 20;

export const DEFAULT_CAP_QPS = 40;
export const DEFAULT_MAX_INVISIBLE_LIST = 10_000;

export class Simulator {
  readonly world: World;
  /** Calls over time; add more while running with `timeline.add`. */
  readonly timeline: CallTimeline;
  private readonly listRoomInfo: ListRoomInfoHandler;
  private readonly statsRecorder = new StatsRecorder();
  private readonly served?: ServedLog;
  private readonly http: SimHttpServer;
  private faultSettings: FaultSettings;
  private started = false;
  private readonly pusher?: CallbackPusher;
  /** The callback POSTs' keep-alive sockets, closed by stop(). */
  private readonly callbackAgents: CallbackAgents = { http: new HttpAgent({ keepAlive: true, maxSockets: CALLBACK_SOCKETS }), https: new HttpsAgent({ keepAlive: true, maxSockets: CALLBACK_SOCKETS }) };
  private tickTimer?: NodeJS.Timeout;

  constructor(private readonly opts: SimulatorOptions) {
    const now = opts.now ?? Date.now;
    const seed = opts.seed ?? 1;
    const region = opts.region ?? 'cn-north-1';
    const service = opts.service ?? 'rtc';
    if (opts.callbacks) {
      this.pusher = new CallbackPusher(
        { ...DEFAULT_CALLBACK_PUSH, ...opts.callbacks },
        { rng: createRng(hashSeed(seed, 'callbacks')), post: (url, body) => postJson(this.callbackAgents, url, body), later: (ms, fn) => void setTimeout(fn, ms).unref() },
      );
    }
    const pusher = this.pusher;
    const observe = opts.onChange;
    const onChange = pusher || observe ? (c: WorldChange): void => (observe?.(c), pusher?.push(c)) : undefined;
    this.world = new World({ now, seed, rooms: opts.rooms, defaultChurn: opts.defaultChurn, onChange });
    this.faultSettings = mergeFaults(NO_FAULTS, { latencyMs: opts.latencyMs ?? 0, ...opts.faults });
    if (opts.recordServed) this.served = new ServedLog();
    this.timeline = new CallTimeline(opts.calls ?? []);
    const verifier = { ...opts.credentials, region, service, maxSkewMs: opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS };
    this.listRoomInfo = new ListRoomInfoHandler({
      timeline: this.timeline,
      world: this.world,
      verifier,
      capQps: opts.listCapQps ?? DEFAULT_LIST_CAP_QPS,
      maxListable: opts.maxListable ?? DEFAULT_MAX_LISTABLE,
      dataDelayMs: () => opts.dataDelayMs ?? DEFAULT_DATA_DELAY_MS,
    });
    const api = new ApiHandler({
      listRoomInfo: this.listRoomInfo,
      timeline: this.timeline,
      roomExistField: opts.shape === 'byteplus' ? 'RoomExist' : 'RoomExists',
      world: this.world,
      verifier,
      cap: new FlowCap(opts.capQps ?? DEFAULT_CAP_QPS),
      stats: this.statsRecorder,
      faults: () => this.faultSettings,
      faultRng: createRng(hashSeed(seed, 'faults')),
      now,
      maxInvisibleList: opts.maxInvisibleList ?? DEFAULT_MAX_INVISIBLE_LIST,
      region,
      service,
    });
    this.http = new SimHttpServer({
      api: (req) => api.handle(req),
      delivered: (outcome) => this.onDelivered(outcome),
      control: (method, path, body) => handleControl(this, method, path, body),
      latencyMs: () => this.faultSettings.latencyMs,
      connection: () => this.statsRecorder.connection(),
      tlsHandshake: () => this.statsRecorder.tlsHandshake(),
      connectionClosed: () => this.statsRecorder.connectionClosed(),
    }, opts.tls);
  }

  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:41234 (https:// with `tls`). */
  async start(): Promise<string> {
    if (this.started) throw new Error('simulator already started');
    this.started = true;
    const host = this.opts.host ?? '127.0.0.1';
    const address = await this.http.listen(host, this.opts.port ?? 0);
    if (this.pusher || this.opts.onChange) {
      this.tickTimer = setInterval(() => {
        this.timeline.sync(this.world, (this.opts.now ?? Date.now)());
        this.world.tick();
      }, CALLBACK_TICK_MS);
      this.tickTimer.unref();
    }
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.opts.tls ? 'https' : 'http'}://${shown}:${address.port}`;
  }

  /** Closes the listener and every open socket, including hung requests. */
  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.pusher?.stop();
    this.callbackAgents.http.destroy();
    this.callbackAgents.https.destroy();
    await this.http.close();
  }

  /** Counters of the pushed callbacks; undefined when the simulator pushes none. */
  callbackStats(): CallbackPushStats | undefined {
    return this.pusher?.stats();
  }

  /** Where pushed callbacks go from now on (a daemon whose port was not known when this started). */
  setCallbackUrl(url: string): void {
    if (!this.pusher) throw new RangeError('the simulator pushes no callbacks (start it with a callback URL)');
    this.pusher.retarget(url);
  }

  /** Changes delay, loss, duplicates or reordering of pushed callbacks while running. */
  setCallbackFaults(update: Partial<Omit<CallbackPushSettings, 'url' | 'secret'>>): void {
    if (!this.pusher) throw new RangeError('the simulator pushes no callbacks (start it with a callback URL)');
    this.pusher.update(update);
  }

  stats(): SimStats {
    return this.statsRecorder.snapshot();
  }

  /** ListRoomInfo traffic (apart from stats(), which counts GetRoomOnlineUsers). */
  listRoomInfoStats(): ListRoomInfoStats {
    return this.listRoomInfo.stats();
  }

  faults(): FaultSettings {
    return { ...this.faultSettings };
  }

  /** Applies a partial update (unset kinds keep their value); throws RangeError when invalid. */
  setFaults(update: FaultUpdate): FaultSettings {
    this.faultSettings = mergeFaults(this.faultSettings, update);
    return this.faults();
  }

  /** Snapshots served in 200 responses for the room, oldest first; empty unless recordServed. */
  servedSnapshots(appId: string, roomId: string): ServedSnapshot[] {
    return this.served?.list(appId, roomId) ?? [];
  }

  private onDelivered(outcome: ApiOutcome): void {
    if (outcome.kind !== 'json' || !outcome.served) return;
    this.statsRecorder.delivered();
    this.served?.record(outcome.served.appId, outcome.served.roomId, outcome.served.snapshot);
  }
}

/**
 * Callback POSTs share a small keep-alive pool, as a vendor's sender would: without a cap a burst opens a
 * socket per callback, and a receiver's connection limit then refuses some (server.maxConnections).
 */
const CALLBACK_SOCKETS = 16;

interface CallbackAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** One callback POST; resolves with the status, rejects on a transport error or after 5 s. */
function postJson(agents: CallbackAgents, url: string, body: string): Promise<number> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: 'POST', agent: secure ? agents.https : agents.http, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('callback POST timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

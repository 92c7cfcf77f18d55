import { API_ERRORS, ApiErrorCode, ApiRejection } from './api-errors';
import { FaultKind, FaultProbabilities, pickFault } from './faults';
import { FlowCap } from './flow-window';
import { ResponseMetadata, errorMetadata, requestId, roomResult, truncatedJson } from './responses';
import { ServedSnapshot } from './served-log';
import { RequestView, VerifierConfig, checkSignature } from './signature-check';
import { StatsRecorder } from './stats';
import { Rng } from './rng';
import { World } from './world';
import type { CallTimeline } from './call-timeline';
import { LIST_ROOM_INFO_ACTION, ListRoomInfoHandler } from './list-room-info-handler';

/**
 * Decides the answer to one vendor API request: signature, rolling cap, parameters, injected fault,
 * then the room. No sockets here; server.ts turns the outcome into bytes (or into silence).
 */

export const ACTION = 'GetRoomOnlineUsers';
export const SUPPORTED_VERSIONS: readonly string[] = ['2023-08-01', '2023-11-01'];
/** The vendor's documented limit on AppId / RoomId length. */
const MAX_ID_LENGTH = 128;

export type ApiOutcome =
  | { kind: 'json'; status: number; body: unknown; code: string; served?: ServedRoom }
  | { kind: 'text'; status: number; text: string; code: string }
  | { kind: 'hang'; code: string }
  | { kind: 'reset'; code: string };

/** A successful answer, to be recorded once it has actually been written. */
export interface ServedRoom {
  appId: string;
  roomId: string;
  snapshot: ServedSnapshot;
}

export interface ApiHandlerDeps {
  world: World;
  verifier: Omit<VerifierConfig, 'nowMs'>;
  cap: FlowCap;
  stats: StatsRecorder;
  faults: () => Readonly<FaultProbabilities>;
  faultRng: Rng;
  now: () => number;
  maxInvisibleList: number;
  region: string;
  service: string;
  /** ListRoomInfo, with its own cap and stats; absent: the action is unknown. */
  listRoomInfo?: ListRoomInfoHandler;
  /** Calls starting and ending over time; applied to the world before each answer. */
  timeline?: CallTimeline;
  /** BytePlus' docs spell the field RoomExist; default RoomExists (Volcengine). */
  roomExistField?: 'RoomExists' | 'RoomExist';
}

function checkParams(query: Record<string, string>): ApiRejection | { appId: string; roomId: string } {
  const { Action: action, Version: version, AppId: appId, RoomId: roomId } = query;
  if (!action || !version) return { code: 'MissingParameter', message: 'Action and Version are required' };
  if (action !== ACTION || !SUPPORTED_VERSIONS.includes(version)) {
    return { code: 'InvalidActionOrVersion', message: `unsupported action ${action} version ${version}` };
  }
  if (!appId) return { code: 'MissingParameter', message: 'AppId is required' };
  if (!roomId) return { code: 'MissingParameter', message: 'RoomId is required' };
  if (appId.length > MAX_ID_LENGTH || roomId.length > MAX_ID_LENGTH) {
    return { code: 'InvalidParameter', message: `AppId and RoomId are at most ${MAX_ID_LENGTH} characters` };
  }
  return { appId, roomId };
}

export class ApiHandler {
  private seq = 0;

  constructor(private readonly deps: ApiHandlerDeps) {}

  handle(req: RequestView): ApiOutcome {
    const { deps } = this;
    const now = deps.now();
    const meta: ResponseMetadata = {
      RequestId: requestId(now, ++this.seq),
      Action: req.query.Action ?? '',
      Version: req.query.Version ?? '',
      Service: deps.service,
      Region: deps.region,
    };
    // ListRoomInfo has its own cap and its own counts; the stats below are GetRoomOnlineUsers'.
    if (req.query.Action === LIST_ROOM_INFO_ACTION && deps.listRoomInfo) return deps.listRoomInfo.handle(req, meta, now);
    deps.stats.arrival(now);

    const rejected = checkSignature(req, { ...deps.verifier, nowMs: now });
    if (rejected) return this.error(meta, rejected.code, rejected.message);
    if (!deps.cap.tryAccept(now)) {
      deps.stats.throttle();
      return this.error(meta, 'FlowLimitExceeded', 'request rate exceeds the account limit');
    }

    const params = checkParams(req.query);
    if ('code' in params) return this.error(meta, params.code, params.message);
    const { appId, roomId } = params;

    const fault = pickFault(deps.faults(), deps.faultRng.next());
    if (fault) return this.faulty(meta, fault);

    deps.timeline?.sync(deps.world, now);
    const snapshot = deps.world.snapshot(appId, roomId, deps.maxInvisibleList);
    const result = roomResult(snapshot, deps.roomExistField);
    const served: ServedSnapshot = {
      at: now,
      exists: snapshot.exists,
      visible: snapshot.visible,
      invisible: snapshot.invisible,
      totalUser: snapshot.visibleCount + snapshot.invisibleCount,
      totalInvisibleUser: snapshot.invisibleCount,
    };
    deps.stats.outcome('Success');
    const body = { ResponseMetadata: meta, Result: result };
    return { kind: 'json', status: 200, body, code: 'Success', served: { appId, roomId, snapshot: served } };
  }

  /** Faults never read the world, so what a client can observe is untouched by them. */
  private faulty(meta: ResponseMetadata, fault: FaultKind): ApiOutcome {
    this.deps.stats.fault(fault);
    switch (fault) {
      case 'status500':
        return this.error(meta, 'InternalError', 'injected internal error');
      case 'status429':
        return this.error(meta, 'FlowLimitExceeded', 'injected flow limit');
      case 'errorOn200': {
        this.deps.stats.outcome('InternalError');
        const body = { ResponseMetadata: errorMetadata(meta, 'InternalError', 'injected error with HTTP 200') };
        return { kind: 'json', status: 200, body, code: 'InternalError' };
      }
      case 'missingResult':
        return this.transport({ kind: 'json', status: 200, body: { ResponseMetadata: meta }, code: 'MissingResult' });
      case 'malformedJson':
        return this.transport({ kind: 'text', status: 200, text: truncatedJson(meta), code: 'MalformedJson' });
      case 'hang':
        return this.transport({ kind: 'hang', code: 'Hang' });
      case 'connectionReset':
        return this.transport({ kind: 'reset', code: 'ConnectionReset' });
    }
  }

  private transport(outcome: ApiOutcome): ApiOutcome {
    this.deps.stats.outcome(outcome.code);
    return outcome;
  }

  private error(meta: ResponseMetadata, code: ApiErrorCode, message: string): ApiOutcome {
    this.deps.stats.outcome(code);
    const body = { ResponseMetadata: errorMetadata(meta, code, message) };
    return { kind: 'json', status: API_ERRORS[code].status, body, code };
  }
}

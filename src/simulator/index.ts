/**
 * The built-in stand-in for the Volcengine RTC OpenAPI (GetRoomOnlineUsers), for the demo, the
 * integration tests and the benchmarks.
 *
 * Each API request goes through, in order: signature (401 InvalidAuthorization / InvalidAccessKey /
 * SignatureDoesNotMatch, 400 InvalidTimestamp), the rolling-second cap (429 FlowLimitExceeded; only
 * accepted requests enter the window), parameters (400 MissingParameter / InvalidParameter /
 * InvalidActionOrVersion), an injected fault if one is drawn, and finally the room. Faults never read
 * the world, and only 200s that carry a Result are recorded as served.
 */
export { Simulator, DEFAULT_CAP_QPS, DEFAULT_MAX_INVISIBLE_LIST } from './simulator';
export type { SimulatorOptions, SimCredentials } from './simulator';
export { World } from './world';
export type { SimRoomSpec, RoomSnapshot, Visibility, WorldOptions } from './world';
export { NO_CHURN } from './churn';
export type { ChurnRates, ChurnSpec } from './churn';
export { FAULT_KINDS, NO_FAULTS } from './faults';
export type { FaultKind, FaultSettings, FaultUpdate } from './faults';
export type { ServedSnapshot } from './served-log';
export type { SimStats } from './stats';
export { API_ERRORS } from './api-errors';
export type { ApiErrorCode } from './api-errors';
export { ACTION, SUPPORTED_VERSIONS } from './api-handler';
export { DEMO_CREDENTIALS, demoCalls, demoRooms } from './demo-world';
export { CallTimeline } from './call-timeline';
export type { SimCall, SimCallSpec } from './call-timeline';
export { LIST_ROOM_INFO_ACTION, LIST_ROOM_INFO_VERSIONS } from './list-room-info-handler';
export type { ListRoomInfoStats } from './list-room-info-handler';

/**
 * The vendor error codes the simulator can answer with, their HTTP status, and a numeric CodeN.
 * The CodeN values are the simulator's own stable numbers; clients should key on Code.
 */
export const API_ERRORS = {
  MissingParameter: { status: 400, codeN: 100001 },
  InvalidParameter: { status: 400, codeN: 100002 },
  InvalidActionOrVersion: { status: 400, codeN: 100003 },
  InvalidTimestamp: { status: 400, codeN: 100004 },
  InvalidAuthorization: { status: 401, codeN: 100005 },
  InvalidAccessKey: { status: 401, codeN: 100009 },
  SignatureDoesNotMatch: { status: 401, codeN: 100010 },
  FlowLimitExceeded: { status: 429, codeN: 100018 },
  InternalError: { status: 500, codeN: 100023 },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** A request the simulator refuses; turned into a vendor-shaped error body by the API handler. */
export interface ApiRejection {
  code: ApiErrorCode;
  message: string;
}

/**
 * Why a request failed, in a form the poller can act on: a code for the metric label and whether trying
 * again can help. Vendor codes come through as given; transport failures use a small fixed set so the
 * `code` label stays bounded.
 */

export type TransportCode = 'Timeout' | 'ConnectionError' | 'HttpError' | 'MalformedResponse' | 'ResponseTooLarge';

export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    /** Vendor error code (e.g. `FlowLimitExceeded`) or a TransportCode. */
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
  ) {
    super(message);
  }

  /** 429 / FlowLimitExceeded*: the account is over its rate; the limiter should back off. */
  get throttled(): boolean {
    return this.httpStatus === 429 || /FlowLimitExceeded/.test(this.code);
  }
}

/** The vendor answered with ResponseMetadata.Error. */
export class VendorError extends ApiError {
  override readonly name = 'VendorError';
  constructor(code: string, message: string, httpStatus?: number) {
    super(code, message, isRetryableVendorCode(code, httpStatus), httpStatus);
  }
}

/** Timeout, reset, refused, an oversized, non-JSON or wrongly shaped body. */
export class TransportError extends ApiError {
  override readonly name = 'TransportError';
  constructor(code: TransportCode, message: string, httpStatus?: number) {
    // A malformed body is usually a proxy or a half-written response: worth one more try. A 4xx page
    // without a vendor code (a WAF, a wrong endpoint) and an oversized body will say the same again.
    super(code, message, code !== 'ResponseTooLarge' && isRetryableStatus(httpStatus), httpStatus);
  }
}

/** No status (the exchange failed before one), 2xx (a bad body), 408, 429 and 5xx are worth another try. */
function isRetryableStatus(httpStatus: number | undefined): boolean {
  return httpStatus === undefined || httpStatus < 400 || httpStatus === 408 || httpStatus === 429 || httpStatus >= 500;
}

const RETRYABLE = [/^InternalError/, /^InternalServiceTimeout/, /^ServiceUnavailable/, /FlowLimitExceeded/];
const NOT_RETRYABLE = [
  /^SignatureDoesNotMatch/,
  /^InvalidAccessKey/,
  /^InvalidTimestamp/,
  /^AccessDenied/,
  /^InvalidParameter/,
  /^MissingParameter/,
  /^Illegal/,
  /^InvalidAction/,
  /^InvalidVersion/,
];

export function isRetryableVendorCode(code: string, httpStatus?: number): boolean {
  if (NOT_RETRYABLE.some((re) => re.test(code))) return false;
  if (RETRYABLE.some((re) => re.test(code))) return true;
  // Unknown codes: trust the status. 408, 429 and 5xx are transient by HTTP's own definition; anything
  // else would be answered the same way again, and a retry spends the account's shared budget.
  return httpStatus === 408 || httpStatus === 429 || (httpStatus !== undefined && httpStatus >= 500);
}

/**
 * Values of the `code` label of rtc_api_requests_total: the outcomes this client produces and the vendor
 * codes the docs list for this action and its gateway. Anything else (a proxy inventing codes) becomes
 * `Other`, so a broken upstream cannot create unbounded series; the raw code is still in the logs.
 */
export const KNOWN_CODES: ReadonlySet<string> = new Set([
  'Success',
  'Timeout',
  'ConnectionError',
  'HttpError',
  'MalformedResponse',
  'ResponseTooLarge',
  'InternalError',
  'InternalServiceTimeout',
  'ServiceUnavailable',
  'FlowLimitExceeded',
  'SignatureDoesNotMatch',
  'InvalidAccessKey',
  'InvalidAuthorization',
  'InvalidTimestamp',
  'InvalidCredential',
  'MissingAuthenticationToken',
  'AccessDenied',
  'InvalidParameter',
  'MissingParameter',
  'InvalidAction',
  'InvalidVersion',
  'InvalidActionOrVersion',
  'ServiceNotFound',
]);

export const OTHER_CODE = 'Other';

export function boundedCode(code: string): string {
  return KNOWN_CODES.has(code) ? code : OTHER_CODE;
}

/**
 * Why a request failed, in a form the poller can act on: a code for the metric label and whether trying
 * again can help. Vendor codes come through as given; transport failures use a small fixed set so the
 * `code` label stays bounded.
 */

export type TransportCode = 'Timeout' | 'ConnectionError' | 'HttpError' | 'MalformedResponse';

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

/** Timeout, reset, refused, a non-JSON or wrongly shaped body. */
export class TransportError extends ApiError {
  override readonly name = 'TransportError';
  constructor(code: TransportCode, message: string, httpStatus?: number) {
    // A malformed body is usually a proxy or a half-written response: worth one more try.
    super(code, message, true, httpStatus);
  }
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
  // Unknown codes: trust the status class. 5xx and 429 are transient by HTTP's own definition.
  return httpStatus === undefined || httpStatus === 429 || httpStatus >= 500;
}

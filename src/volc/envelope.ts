import { TransportError, VendorError } from './errors';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The part every vendor answer shares: JSON, ResponseMetadata.Error, the HTTP status, a Result object.
 * Returns Result or throws the ApiError that explains the response. Pure. An `Error` in ResponseMetadata
 * wins even on HTTP 200; a 200 without `Result` is malformed, not empty.
 */
export function parseEnvelope(status: number, body: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status >= 200 && status < 300) throw new TransportError('MalformedResponse', 'response is not JSON', status);
    throw new TransportError('HttpError', `HTTP ${status} with a non-JSON body`, status);
  }
  const meta = isObject(json) ? json.ResponseMetadata : undefined;
  const error = isObject(meta) ? meta.Error : undefined;
  if (isObject(error) && typeof error.Code === 'string' && error.Code !== '') {
    const message = typeof error.Message === 'string' ? error.Message : '';
    throw new VendorError(error.Code, message, status);
  }
  if (status < 200 || status >= 300) throw new TransportError('HttpError', `HTTP ${status} without an error code`, status);
  const result = isObject(json) ? json.Result : undefined;
  if (!isObject(result)) throw new TransportError('MalformedResponse', 'response has no Result object', status);
  return result;
}

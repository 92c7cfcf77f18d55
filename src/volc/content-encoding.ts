import { promisify } from 'node:util';
import { brotliDecompress, inflate, inflateRaw, unzip, ZlibOptions } from 'node:zlib';
import { TransportError } from './errors';

/**
 * The response body as text, inflated here rather than by axios. Why by hand: axios inflates through a
 * stream pipeline and can limit only the inflated size; limiting the bytes as received as well took an
 * `onDownloadProgress` hook, which puts a transform stream and a `stream.pipeline` (with its own
 * AbortController) under every response, compressed or not: the largest per-request cost axios added in
 * the issue #13 profile. Now axios hands over the bytes as received (`decompress: false`, limited by its
 * `maxContentLength`) and this inflates only what is compressed, bounded by zlib's `maxOutputLength`, in
 * zlib's thread pool (the callback forms, not the event loop).
 *
 * Encodings are the ones axios advertises in Accept-Encoding (gzip, compress, deflate, br).
 */

const unzipAsync = promisify<Buffer, ZlibOptions, Buffer>(unzip);
const inflateAsync = promisify<Buffer, ZlibOptions, Buffer>(inflate);
const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw);
const brotliAsync = promisify<Buffer, ZlibOptions, Buffer>(brotliDecompress);

/** RFC 1950: a zlib stream starts with CM = 8 and a header checksum; anything else is raw deflate. */
function hasZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

function inflater(encoding: string): ((b: Buffer, o: ZlibOptions) => Promise<Buffer>) | undefined {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
    case 'compress':
    case 'x-compress':
      return unzipAsync;
    case 'deflate':
      // Servers disagree on whether "deflate" means zlib-wrapped or raw; accept both, as browsers do.
      return (b, o) => (hasZlibHeader(b) ? inflateAsync(b, o) : inflateRawAsync(b, o));
    case 'br':
      return brotliAsync;
    default:
      return undefined;
  }
}

/**
 * @param raw the body as received (already within the received-bytes limit)
 * @param contentEncoding the Content-Encoding header, if any
 * @param maxBytes the largest inflated body accepted
 */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number, httpStatus?: number): Promise<string> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  let body = raw;
  if (encoding !== '' && encoding !== 'identity' && raw.length > 0) {
    const inflate = inflater(encoding);
    if (!inflate) throw new TransportError('MalformedResponse', `response uses an unsupported Content-Encoding: ${encoding.slice(0, 40)}`, httpStatus);
    try {
      body = await inflate(raw, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new TransportError('ResponseTooLarge', `response body larger than ${maxBytes} bytes once inflated; refused`, httpStatus);
      }
      throw new TransportError('MalformedResponse', `response body is not valid ${encoding}`, httpStatus);
    }
  }
  const text = body.toString('utf8');
  // A UTF-8 byte order mark is not JSON; axios' text mode dropped it too.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

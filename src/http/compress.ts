import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * gzip for /metrics, assembled from pieces compressed once and kept.
 *
 * A 10,000-room exposition is about 7 MiB of text; compressing all of it on every scrape costs more than
 * rendering it. But between two scrapes most of it does not change (room-metrics.ts hands back the same
 * object for an unchanged piece), so each piece is deflated on its own, ending on a byte boundary without
 * a final block (Z_SYNC_FLUSH), and the pieces are concatenated into one ordinary gzip member: header,
 * the pieces' deflate data, an empty final block, then the CRC-32 and length of the whole text. The CRC of
 * the whole is combined from the pieces' CRCs (crc32Combine below), so unchanged text is never read again.
 * Any gzip decoder reads the result (it is a single member; no multi-member support needed).
 *
 * Written by hand because node:zlib compresses a stream, not reusable pieces of one, and no maintained
 * package does this; the format is RFC 1951 / RFC 1952.
 */

/**
 * Level 1: the first scrape compresses the whole exposition (after that only changed pieces), and the
 * repetitive exposition text compresses nearly as well at level 1 as at 6 for a fraction of the CPU
 * (BENCHMARKS.md, scrape).
 */
export const GZIP_LEVEL = 1;

/**
 * zlib's working memory per compression is 2^(windowBits+2) + 2^(memLevel+9) bytes: 96 KiB here instead of
 * 256 KiB at the defaults. Each piece gets its own short-lived zlib stream, and at 256 KiB every one was a
 * fresh mmap of the C allocator, page-faulted in and unmapped again: 451 pieces of a 10,000-room
 * exposition took 1.6 s instead of 0.3 s on the bench machine. An 8 KiB window loses nothing on text whose
 * repeats are one line (about 70 bytes) apart.
 */
const DEFLATE_OPTIONS = { windowBits: 13, memLevel: 7, finishFlush: constants.Z_SYNC_FLUSH };

/** gzip header: magic, deflate, no flags, no mtime, no extra flags, OS unknown. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** A final, empty block with fixed Huffman codes: ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * A piece of text whose identity says it is unchanged: the producer hands out the same object for as long
 * as the text stays the same (keyed by object, not by text: hashing megabytes of text each scrape would
 * cost about what compressing it does).
 */
export interface TextPiece {
  readonly text: string;
}

interface Compressed {
  deflated: Buffer;
  crc: number;
  bytes: number;
  /** x^(8·bytes) modulo the CRC polynomial: what combining this piece's CRC after another needs. */
  shift: number;
}

/**
 * Compressing new pieces gives the event loop a turn after this many milliseconds. The first scrape, or
 * one after a reload, compresses the whole exposition (about 170 ms at 10,000 rooms, over a second at
 * 100,000), and polls and other requests should not wait for all of it. In the steady state (a few changed
 * pieces) no call runs that long, so none yields. (zlib's thread pool was tried instead: its per-call
 * stream objects cost more time on the main thread than the compression they moved off it; BENCHMARKS.md.)
 */
export const SLICE_MS = 10;

export class SegmentedGzip {
  private readonly cache = new WeakMap<TextPiece, Compressed>();
  /** Of the last call: pieces in the body, and how many of them had to be compressed (not cached). */
  lastCall = { pieces: 0, compressed: 0 };

  constructor(
    private readonly level = GZIP_LEVEL,
    private readonly sliceMs = SLICE_MS,
  ) {}

  /** One gzip member whose content is the concatenation of the pieces' text (UTF-8). */
  async gzip(pieces: readonly TextPiece[]): Promise<Buffer> {
    let compressed = 0;
    let sliceStart = performance.now();
    for (const piece of pieces) {
      if (piece.text === '' || this.cache.has(piece)) continue;
      if (performance.now() - sliceStart > this.sliceMs) {
        await nextTurn();
        sliceStart = performance.now();
        // Another call may have compressed it meanwhile.
        if (this.cache.has(piece)) continue;
      }
      const raw = Buffer.from(piece.text, 'utf8');
      this.cache.set(piece, { deflated: deflateRawSync(raw, { ...DEFLATE_OPTIONS, level: this.level }), crc: crc32(raw), bytes: raw.length, shift: crc32Shift(raw.length) });
      compressed++;
    }
    // Every piece is cached now (the pieces are held here, so the weak entries stay): assemble in one go.
    const parts: Buffer[] = [GZIP_HEADER];
    let crc = 0;
    let bytes = 0;
    for (const piece of pieces) {
      if (piece.text === '') continue;
      const c = this.cache.get(piece)!;
      parts.push(c.deflated);
      crc = (multModP(c.shift, crc) ^ c.crc) >>> 0;
      bytes += c.bytes;
    }
    this.lastCall = { pieces: parts.length - 1, compressed };
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(bytes % 2 ** 32, 4);
    parts.push(FINAL_BLOCK, trailer);
    return Buffer.concat(parts);
  }
}

/** CRC-32 (reflected, as in gzip and zlib) polynomial, as an int32 so the arithmetic stays in int32. */
const POLY = 0xedb88320 | 0;

/** a * b modulo the CRC polynomial, both as reflected 32-bit polynomials (bit 31 is x^0). */
function multModP(a: number, b: number): number {
  let product = 0;
  for (let i = 31; i >= 0; i--) {
    if ((a >>> i) & 1) product ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: number[] = [0x40000000]; // x^1
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1]!, X2N[k - 1]!));

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length in bytes: appending len2 zero bytes to A
 * multiplies its CRC by x^(8·len2) modulo the polynomial, and the CRC is linear over the rest.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  return (multModP(crc32Shift(len2), crc1) ^ crc2) >>> 0;
}

/** x^(8·len) modulo the polynomial: the product of x^(2^k) over the set bits k of 8·len. */
function crc32Shift(len: number): number {
  let factor = 0x80000000; // x^0
  // len's bits, shifted past the factor 8 = 2^3.
  for (let k = 3, n = len; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) factor = multModP(X2N[k % 32]!, factor);
  }
  return factor;
}

/**
 * Whether an Accept-Encoding header allows gzip (RFC 9110 §12.5.3): `gzip` or `x-gzip` with q > 0, or `*`
 * with q > 0 when gzip is not named. Hand-parsed: one header and one coding do not justify a dependency.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  let star: boolean | undefined;
  for (const item of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding = '', ...params] = item.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return allowed;
    if (coding === '*') star = allowed;
  }
  return star ?? false;
}

/**
 * Sends a text body made of `segments`, gzipped when the request accepts it. `Vary: Accept-Encoding`
 * either way, so a cache in between keeps the two apart.
 */
export async function sendSegments(req: IncomingMessage, res: ServerResponse, contentType: string, segments: readonly TextPiece[], gzip: SegmentedGzip, headOnly = false): Promise<void> {
  res.setHeader('Vary', 'Accept-Encoding');
  if (acceptsGzip(req.headers['accept-encoding'])) {
    const body = await gzip.gzip(segments);
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
    res.end(headOnly ? undefined : body);
    return;
  }
  const body = segments.map((s) => s.text).join('');
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}

import fc from 'fast-check';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { acceptsGzip, crc32Combine, GZIP_LEVEL, SegmentedGzip, TextPiece } from '../../src/http/compress';

const piece = (text: string): TextPiece => ({ text });

/** Text with multi-byte characters too, so byte and character counts differ. */
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'room_id="', '\n', 'é', '😀', '0', '9'), maxLength: 300 });

describe('crc32Combine', () => {
  it('gives the CRC-32 of the concatenation from the two CRCs and the second length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      }),
      { numRuns: 500 },
    );
  });

  it('handles lengths past 2^31 bytes without overflow (checked against zero runs)', () => {
    // crc(A + zeros(n)) = crc32Combine(crc(A), crc(zeros(n)), n); with n = 2^31 + 5 built from pieces.
    const zeros = Buffer.alloc(1 << 20);
    const crcZeros = crc32(zeros);
    let crc = crc32('x');
    let crcOfZeros = 0;
    for (let i = 0; i < 2048; i++) crcOfZeros = crc32Combine(crcOfZeros, crcZeros, zeros.length);
    crc = crc32Combine(crc, crcOfZeros, 2 ** 31);
    let direct = crc32('x');
    for (let i = 0; i < 2048; i++) direct = crc32(zeros, direct);
    expect(crc).toBe(direct);
  });
});

describe('SegmentedGzip', () => {
  it('compresses to one gzip member holding the concatenated text, across scrapes that reuse pieces', () => {
    fc.assert(
      fc.asyncProperty(fc.array(fc.array(text, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 5 }), async (pieceSets, keep) => {
        const gz = new SegmentedGzip();
        let previous: TextPiece[] = [];
        for (const [i, texts] of pieceSets.entries()) {
          // Some pieces of the last call again (the same objects), as an unchanged chunk would be.
          const segments = [...previous.filter((_, j) => (keep[i] ?? 0) & (1 << j)), ...texts.map(piece)];
          const body = await gz.gzip(segments);
          const expected = segments.map((s) => s.text).join('');
          expect(gunzipSync(body).toString('utf8')).toBe(expected);
          // A single member: the deflate data alone inflates to the whole text.
          expect(inflateRawSync(body.subarray(10, body.length - 8)).toString('utf8')).toBe(expected);
          expect(body.readUInt32LE(body.length - 4)).toBe(Buffer.byteLength(expected));
          previous = segments;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('compresses a piece once for as long as it is handed out again', async () => {
    const gz = new SegmentedGzip();
    const big = piece('rtc_room_up{app_id="a",room_id="r"} 1\n'.repeat(5000));
    await gz.gzip([big, piece('tail 1\n')]);
    expect(gz.lastCall).toEqual({ pieces: 2, compressed: 2 });
    const second = await gz.gzip([big, piece('tail 2\n')]);
    expect(gz.lastCall).toEqual({ pieces: 2, compressed: 1 });
    expect(gunzipSync(second).toString()).toBe(`${big.text}tail 2\n`);
    expect(second.length).toBeLessThan(big.text.length / 20);
    // The same text in a new object (changed, then changed back) is compressed again.
    await gz.gzip([piece(big.text)]);
    expect(gz.lastCall).toEqual({ pieces: 1, compressed: 1 });
  });

  /** Resolves the call; says whether a setImmediate queued just after the call ran before it resolved. */
  async function loopFreeDuring(call: Promise<Buffer>): Promise<{ body: Buffer; loopRan: boolean }> {
    let loopRan = false;
    setImmediate(() => (loopRan = true));
    const body = await call;
    return { body, loopRan };
  }

  it('gives the event loop a turn while it compresses much new text, and none for a few changed pieces', async () => {
    const rows = (n: number): TextPiece[] => Array.from({ length: n }, (_, i) => piece(`rtc_room_users{app_id="a",room_id="r${i}"} ${i}\n`.repeat(200)));
    const many = rows(50);
    // A zero slice: a turn before each new piece after the first.
    const sliced = new SegmentedGzip(GZIP_LEVEL, 0);
    const first = await loopFreeDuring(sliced.gzip(many));
    expect(first.loopRan).toBe(true);
    expect(gunzipSync(first.body).toString()).toBe(many.map((p) => p.text).join(''));
    expect(sliced.lastCall).toEqual({ pieces: many.length, compressed: many.length });
    // The default slice: one small changed piece among cached ones is compressed at once, with no turn.
    const gz = new SegmentedGzip();
    await gz.gzip(many);
    const next = [...many.slice(1), piece('rtc_room_users{app_id="a",room_id="new"} 1\n')];
    const second = await loopFreeDuring(gz.gzip(next));
    expect(second.loopRan).toBe(false);
    expect(gz.lastCall).toEqual({ pieces: next.length, compressed: 1 });
    expect(gunzipSync(second.body).toString()).toBe(next.map((p) => p.text).join(''));
  });

  it('gives two calls at the same time, while the pieces are still being compressed, the same whole body', async () => {
    const gz = new SegmentedGzip(GZIP_LEVEL, 0);
    const many = Array.from({ length: 80 }, (_, i) => piece(`line ${i} `.repeat(1000) + '\n'));
    const [a, b] = await Promise.all([gz.gzip(many), gz.gzip(many)]);
    expect(a.equals(b)).toBe(true);
    expect(gunzipSync(a).toString()).toBe(many.map((p) => p.text).join(''));
  });
});

describe('acceptsGzip', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, GZIP;q=0.5', true],
    ['x-gzip', true],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
  ])('%s → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

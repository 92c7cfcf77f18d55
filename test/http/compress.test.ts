import fc from 'fast-check';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { acceptsGzip, crc32Combine, SegmentedGzip, TextPiece } from '../../src/http/compress';

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
      fc.property(fc.array(fc.array(text, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 5 }), (pieceSets, keep) => {
        const gz = new SegmentedGzip();
        let previous: TextPiece[] = [];
        pieceSets.forEach((texts, i) => {
          // Some pieces of the last call again (the same objects), as an unchanged chunk would be.
          const segments = [...previous.filter((_, j) => (keep[i] ?? 0) & (1 << j)), ...texts.map(piece)];
          const body = gz.gzip(segments);
          const expected = segments.map((s) => s.text).join('');
          expect(gunzipSync(body).toString('utf8')).toBe(expected);
          // A single member: the deflate data alone inflates to the whole text.
          expect(inflateRawSync(body.subarray(10, body.length - 8)).toString('utf8')).toBe(expected);
          expect(body.readUInt32LE(body.length - 4)).toBe(Buffer.byteLength(expected));
          previous = segments;
        });
      }),
      { numRuns: 300 },
    );
  });

  it('compresses a piece once for as long as it is handed out again', () => {
    const gz = new SegmentedGzip();
    const big = piece('rtc_room_up{app_id="a",room_id="r"} 1\n'.repeat(5000));
    gz.gzip([big, piece('tail 1\n')]);
    expect(gz.lastCall).toEqual({ pieces: 2, compressed: 2 });
    const second = gz.gzip([big, piece('tail 2\n')]);
    expect(gz.lastCall).toEqual({ pieces: 2, compressed: 1 });
    expect(gunzipSync(second).toString()).toBe(`${big.text}tail 2\n`);
    expect(second.length).toBeLessThan(big.text.length / 20);
    // The same text in a new object (changed, then changed back) is compressed again.
    gz.gzip([piece(big.text)]);
    expect(gz.lastCall).toEqual({ pieces: 1, compressed: 1 });
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

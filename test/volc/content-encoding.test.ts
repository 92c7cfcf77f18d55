import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeBody } from '../../src/volc/content-encoding';
import { apiFailure } from '../support/api-failure';

const text = JSON.stringify({ Result: { VisibleUserList: Array.from({ length: 500 }, (_, i) => `user-${i}`) } });
const raw = Buffer.from(text);


describe('decodeBody', () => {
  it.each([
    ['no encoding', undefined, raw],
    ['identity', 'identity', raw],
    ['gzip', 'gzip', gzipSync(raw)],
    ['x-gzip, any case and spacing', ' X-GZIP ', gzipSync(raw)],
    ['deflate with the zlib wrapper', 'deflate', deflateSync(raw)],
    ['deflate without it (raw)', 'deflate', deflateRawSync(raw)],
    ['br', 'br', brotliCompressSync(raw)],
  ])('%s', async (_name, encoding, body) => {
    expect(await decodeBody(body, encoding, 1024 * 1024)).toBe(text);
  });

  it('drops a UTF-8 byte order mark', async () => {
    expect(await decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]), undefined, 1024 * 1024)).toBe(text);
  });

  it('refuses a body that inflates past the limit as ResponseTooLarge, not retried', async () => {
    const err = await apiFailure(decodeBody(gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), 'gzip', 1024 * 1024, 200));
    expect([err.code, err.retryable, err.httpStatus]).toEqual(['ResponseTooLarge', false, 200]);
  });

  it('calls a corrupt compressed body malformed (worth one more try), not a crash', async () => {
    const broken = gzipSync(raw).subarray(0, 40);
    const err = await apiFailure(decodeBody(broken, 'gzip', 1024 * 1024, 200));
    expect([err.code, err.retryable]).toEqual(['MalformedResponse', true]);
  });

  it('calls an encoding it did not ask for malformed', async () => {
    const err = await apiFailure(decodeBody(raw, 'zstd', 1024 * 1024, 200));
    expect(err.code).toBe('MalformedResponse');
    expect(err.message).toContain('zstd');
  });

  it('passes an empty body through whatever the header says (a 204, a HEAD)', async () => {
    expect(await decodeBody(Buffer.alloc(0), 'gzip', 1024)).toBe('');
  });
});

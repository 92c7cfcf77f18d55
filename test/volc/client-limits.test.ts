import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { VolcClient } from '../../src/volc/client';
import { Credentials } from '../../src/volc/credentials';
import { apiFailure } from '../support/api-failure';

/** A hostile or broken endpoint must not be able to push the heap up with a huge (or huge once inflated) body. */
describe('VolcClient response size limit', () => {
  let server: Server;
  let endpoint: string;
  let reply: { body: Buffer; headers: Record<string, string>; status?: number } = { body: Buffer.alloc(0), headers: {} };
  const outcomes: string[] = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    outcomes.length = 0;
  });

  const client = (maxResponseBytes: number): VolcClient =>
    new VolcClient(
      { endpoint, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 5000, credentials: new Credentials('AK', 'SK'), maxResponseBytes },
      { requestDone: (_action, code) => outcomes.push(code) },
    );


  /** A valid answer padded with a long member list, so only its size is wrong. */
  function answer(members: number): Buffer {
    const list = Array.from({ length: members }, (_, i) => `user-${i.toString().padStart(8, '0')}`);
    return Buffer.from(JSON.stringify({ ResponseMetadata: {}, Result: { RoomExists: true, TotalUser: members, TotalInvisibleUser: 0, VisibleUserList: list, InvisibleUserList: [] } }));
  }

  it('accepts an answer under the limit', async () => {
    reply = { body: answer(100), headers: {} };
    const snap = await client(64 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' });
    expect(snap.visible).toHaveLength(100);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('accepts a %s answer that inflates under the limit', async (encoding, compress) => {
    reply = { body: compress(answer(1000)), headers: { 'content-encoding': encoding } };
    const snap = await client(64 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' });
    expect(snap.visible).toHaveLength(1000);
    expect(outcomes).toEqual(['Success']);
  });

  it('calls an answer that does not inflate malformed, and an error page that does not inflate an HTTP error', async () => {
    reply = { body: Buffer.from('not gzip at all'), headers: { 'content-encoding': 'gzip' } };
    expect((await apiFailure(client(64 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' }))).code).toBe('MalformedResponse');
    reply = { body: Buffer.from('not gzip at all'), headers: { 'content-encoding': 'gzip' }, status: 503 };
    const err = await apiFailure(client(64 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' }));
    expect([err.code, err.httpStatus, err.retryable]).toEqual(['HttpError', 503, true]);
    expect(outcomes).toEqual(['MalformedResponse', 'HttpError']);
  });

  it('refuses a plain body over the limit as ResponseTooLarge, not retried, and counts it', async () => {
    reply = { body: answer(20_000), headers: {} };
    const err = await apiFailure(client(64 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' }));
    expect([err.code, err.retryable]).toEqual(['ResponseTooLarge', false]);
    expect(outcomes).toEqual(['ResponseTooLarge']);
  });

  it('refuses a small gzip body that inflates past the limit (a decompression bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    reply = { body: bomb, headers: { 'content-encoding': 'gzip' } };
    const err = await apiFailure(client(1024 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' }));
    expect(err.code).toBe('ResponseTooLarge');
  });

  it('refuses a compressed body over the limit even when it inflates to nothing (bytes as received count too)', async () => {
    const empty = gzipSync(Buffer.alloc(0));
    reply = { body: Buffer.concat(Array.from({ length: 100_000 }, () => empty)), headers: { 'content-encoding': 'gzip' } };
    expect(reply.body.length).toBeGreaterThan(4 * 256 * 1024);
    const err = await apiFailure(client(256 * 1024).getRoomOnlineUsers({ appId: 'a', roomId: 'r' }));
    expect(err.code).toBe('ResponseTooLarge');
  });
});

import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { HttpServer } from '../../src/http/server';
import { memoryLogger } from '../fakes/recorders';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics compression', () => {
  const texts = ['# HELP a x\n# TYPE a gauge\na 1\n', '\n# HELP rtc_room_up up\n', 'rtc_room_up{app_id="é",room_id="r"} 1\n'.repeat(2000)];
  const segments = texts.map((text) => ({ text }));
  let server: HttpServer;
  let port = 0;

  beforeAll(async () => {
    server = new HttpServer(
      { metrics: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: segments }), ready: () => true, reload: () => Promise.resolve(undefined) },
      memoryLogger().logger,
    );
    port = (await server.listen('127.0.0.1', 0)).port;
  });
  afterAll(() => server.close());

  it('answers a gzip request with gzip that decompresses to the same text as a plain request', async () => {
    const plain = await get(port, '/metrics', {});
    const gz = await get(port, '/metrics', { 'Accept-Encoding': 'gzip, deflate' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(texts.join(''));
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gunzipSync(gz.body).toString('utf8')).toBe(plain.body.toString('utf8'));
    expect(gz.body.length).toBeLessThan(plain.body.length / 10);
    // Again, now from the cached pieces.
    expect(gunzipSync((await get(port, '/metrics', { 'Accept-Encoding': 'gzip' })).body).toString('utf8')).toBe(texts.join(''));
  });

  it('sends plain text when gzip is refused, and the same headers without a body for HEAD', async () => {
    const refused = await get(port, '/metrics', { 'Accept-Encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString('utf8')).toBe(texts.join(''));
    const head = await get(port, '/metrics', { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
  });
});

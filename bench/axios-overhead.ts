import axios, { AxiosInstance, CreateAxiosDefaults } from 'axios';
import { ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';

/**
 * `node dist/bench/axios-overhead.js [requests]`: the client CPU per request of a GET with a ~60 KB JSON
 * body (a 1,000-member room), for node:http and for axios configured several ways, so a config change can
 * be judged by a number rather than a guess (BENCHMARKS.md, profile). The server is its own process; the
 * client runs the variants one after another, sequentially (one request in flight), several rounds
 * interleaved so a change in machine load hits every variant alike. CPU = process.cpuUsage() of this process.
 */

const ROUNDS = 9;
const LIMIT = 32 * 1024 * 1024;

const BODY = JSON.stringify({
  ResponseMetadata: { RequestId: 'r', Action: 'GetRoomOnlineUsers', Version: '2023-08-01' },
  Result: { RoomExists: true, TotalUser: 1000, TotalInvisibleUser: 100, VisibleUserList: Array.from({ length: 900 }, (_, i) => `user_${i}_abcdefgh`), InvisibleUserList: Array.from({ length: 100 }, (_, i) => `hidden_${i}_abcdefgh`) },
});

const SERVER = `
const body = ${JSON.stringify(BODY)};
require('node:http').createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }); res.end(body); })
  .listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

const HEADERS = { Authorization: 'HMAC-SHA256 Credential=AK/20261130/cn-north-1/rtc/request, SignedHeaders=host;x-date, Signature=0123456789abcdef', 'X-Date': '20261130T000000Z', 'X-Content-Sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };

type Get = (url: string) => Promise<unknown>;

function bare(agent: Agent): Get {
  return (url) =>
    new Promise((resolve, reject) => {
      request(url, { headers: HEADERS, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
        .on('error', reject)
        .end();
    });
}

/** The daemon's configuration today (src/volc/client.ts), plus `extra`. */
function viaAxios(extra: CreateAxiosDefaults, perRequest: 'abort-controller' | 'none' = 'abort-controller'): Get {
  const http: AxiosInstance = axios.create({ timeout: 5000, responseType: 'text', transformResponse: (d: unknown) => d, validateStatus: () => true, maxRedirects: 0, proxy: false, ...extra });
  return async (url) => {
    if (perRequest === 'none') return (await http.get<string>(url, { headers: HEADERS })).data;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      return (await http.get<string>(url, { headers: HEADERS, signal: controller.signal })).data;
    } finally {
      clearTimeout(timer);
    }
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const server: ChildProcess = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${line.toString().trim()}/?Action=GetRoomOnlineUsers&Version=2023-08-01&AppId=a&RoomId=r`;
  const keepAlive = new Agent({ keepAlive: true });
  const keepAliveForAxios = new Agent({ keepAlive: true });
  const variants: Array<[string, Get]> = [
    ['node:http, keep-alive agent (floor)', bare(keepAlive)],
    ['axios as configured now (global agent)', viaAxios({})],
    ['+ httpAgent keep-alive (one agent reused)', viaAxios({ httpAgent: new Agent({ keepAlive: true }) })],
    ['+ decompress: false', viaAxios({ httpAgent: new Agent({ keepAlive: true }), decompress: false })],
    ["+ adapter: 'http'", viaAxios({ httpAgent: new Agent({ keepAlive: true }), decompress: false, adapter: 'http' })],
    ['+ no per-request AbortController/timer (axios timeout only)', viaAxios({ httpAgent: new Agent({ keepAlive: true }), decompress: false, adapter: 'http' }, 'none')],
    // What src/volc/client.ts did until issue #13's second pass: a keep-alive agent, both size limits, the
    // raw-byte limit through onDownloadProgress (which puts a transform stream and a stream.pipeline under
    // every response), and the per-request AbortController + timer.
    ['client before: + maxContentLength + onDownloadProgress (raw limit)', viaAxios({ httpAgent: keepAliveForAxios, maxContentLength: LIMIT, onDownloadProgress: () => undefined })],
    // What it does now: bytes as received (decompress: false), limited by maxContentLength; inflating is ours.
    ['client now: decompress false, arraybuffer, maxContentLength', viaAxios({ httpAgent: keepAliveForAxios, maxContentLength: LIMIT, decompress: false, responseType: 'arraybuffer' })],
  ];
  const us = new Map<string, number[]>(variants.map(([k]) => [k, []]));
  try {
    for (const [, get] of variants) for (let i = 0; i < 300; i++) await get(url); // warm-up: JIT, connections
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, get] of variants) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < n / ROUNDS; i++) await get(url);
        const c = process.cpuUsage(c0);
        us.get(name)!.push((c.user + c.system) / (n / ROUNDS));
      }
    }
  } finally {
    server.kill();
  }
  // The least CPU of the rounds: contention on a shared machine only ever adds (cache misses, clock
  // throttling), so the minimum is the steadiest estimate; the median is shown for the spread.
  const floor = Math.min(...us.get(variants[0]![0])!);
  process.stdout.write(`client CPU per request, min and median of ${ROUNDS} rounds of ${n / ROUNDS}; ${BODY.length} byte body\n`);
  for (const [name] of variants) {
    const m = Math.min(...us.get(name)!);
    process.stdout.write(`${m.toFixed(0).padStart(6)} µs (median ${median(us.get(name)!).toFixed(0).padStart(4)})  ${(m / floor).toFixed(2)} × floor  ${name}\n`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

void main();

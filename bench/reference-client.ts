import { Agent, request } from 'node:http';
import { parseRoomOnlineUsers } from '../src/volc/room-online-users';
import { sign } from '../src/volc/signer';

/**
 * A reference point for the cost scenario, run as its own process: the least a poller must do per
 * request (sign with our signer, GET over node:http with keep-alive, parse with our parser) at a fixed
 * rate, without axios, the limiter, the diff, metrics or logging. The daemon's CPU minus this is what
 * everything else costs.
 *
 * Environment: BENCH_ENDPOINT (http://host:port), BENCH_QPS, BENCH_APP, BENCH_ROOMS (comma-separated
 * room ids), VOLC_ACCESSKEY, VOLC_SECRETKEY. Runs until killed.
 */

const env = process.env;
const endpoint = new URL(env.BENCH_ENDPOINT ?? '');
const qps = Number(env.BENCH_QPS);
const appId = env.BENCH_APP ?? '';
const rooms = (env.BENCH_ROOMS ?? '').split(',');
const agent = new Agent({ keepAlive: true });
let next = 0;

function pollOne(): void {
  const roomId = rooms[next++ % rooms.length]!;
  const signed = sign({
    method: 'GET',
    host: endpoint.host,
    path: '/',
    query: { Action: 'GetRoomOnlineUsers', Version: '2023-08-01', AppId: appId, RoomId: roomId },
    accessKeyId: env.VOLC_ACCESSKEY ?? '',
    secretAccessKey: env.VOLC_SECRETKEY ?? '',
    region: 'cn-north-1',
    service: 'rtc',
    date: new Date(),
  });
  const req = request({ host: endpoint.hostname, port: endpoint.port, path: `/?${signed.queryString}`, headers: signed.headers, agent }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      try {
        parseRoomOnlineUsers(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
      } catch {
        // A throttled or failed answer costs the same to receive; the rate is what matters here.
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
}

setInterval(pollOne, 1000 / qps);
// Exit normally on SIGTERM, so `node --cpu-prof` can write its profile when the reference is profiled.
process.on('SIGTERM', () => process.exit(0));

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { repoPath } from '../support/repo-paths';

// There is no Docker engine to build the image here, so this checks the Dockerfile's promises as text
// and runs its HEALTHCHECK command (and the compose simulator's) for real against loopback servers.

const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
const dockerignore = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
/** Instructions with line continuations joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM /i.test(line)) acc.push([]);
  acc[acc.length - 1]?.push(line);
  return acc;
}, []);
const runtime = stages[stages.length - 1] ?? [];

describe('Dockerfile', () => {
  it('is multi-stage on a pinned node 20 slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  it('builds with dev dependencies and ships production dependencies and dist/ only', () => {
    expect(stages[0]?.join('\n')).toMatch(/RUN npm ci\b(?!.*--omit=dev)/);
    expect(stages[0]?.join('\n')).toMatch(/RUN npm run build/);
    expect(runtime.join('\n')).toMatch(/RUN npm ci --omit=dev/);
    const copies = runtime.filter((l) => /^COPY /i.test(l));
    expect(copies).toEqual(['COPY package.json package-lock.json ./', 'COPY --from=build /app/dist/src ./dist/src']);
  });

  it('runs as a non-root user', () => {
    const user = runtime.filter((l) => /^USER /i.test(l)).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
  });

  it('never bakes in config or credentials', () => {
    for (const line of instructions.filter((l) => /^(COPY|ADD) /i.test(l))) {
      expect(line).not.toMatch(/\.env|config\/|monitor\.yaml/);
    }
    expect(instructions.some((l) => /^ENV .*VOLC_/i.test(l))).toBe(false);
    expect(dockerignore).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist', '.git']));
  });

  it('starts the daemon with the mounted config', () => {
    expect(runtime).toContain('ENTRYPOINT ["node", "dist/src/cli.js"]');
    expect(runtime).toContain('CMD ["--config", "/etc/rtc-room-monitor/monitor.yaml"]');
  });
});

/** Runs an exec-form healthcheck command with the port rewritten; resolves with its exit code. */
function runProbe(argv: string[], fromPort: number, toPort: number): Promise<number | null> {
  const [cmd, ...args] = argv.map((a) => a.split(String(fromPort)).join(String(toPort)));
  const command = cmd === 'node' ? process.execPath : (cmd as string);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('healthchecks', () => {
  const healthcheck = /HEALTHCHECK\s.*?CMD (\[.*\])$/m.exec(dockerfile.replace(/\\\n\s*/g, ' '));
  const daemonProbe = JSON.parse(healthcheck?.[1] ?? '[]') as string[];
  let status = 200;
  let path = '';
  const server = createServer((req, res) => {
    path = req.url ?? '';
    res.statusCode = status;
    res.end();
  });
  let port = 0;
  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("the image's healthcheck passes on 200 from /-/healthy", async () => {
    status = 200;
    expect(await runProbe(daemonProbe, 9479, port)).toBe(0);
    expect(path).toBe('/-/healthy');
  });

  it("the image's healthcheck fails on an error status and when nothing listens", async () => {
    status = 503;
    expect(await runProbe(daemonProbe, 9479, port)).toBe(1);
    const closed = createServer();
    const unused = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await runProbe(daemonProbe, 9479, unused)).toBe(1);
  });

  it("the compose simulator's healthcheck passes only when the port accepts connections", async () => {
    const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8')) as { services: { simulator: { healthcheck: { test: string[] } } } };
    const [kind, ...probe] = compose.services.simulator.healthcheck.test;
    expect(kind).toBe('CMD');
    expect(await runProbe(probe, 8080, port)).toBe(0);
    const closed = createServer();
    const unused = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await runProbe(probe, 8080, unused)).toBe(1);
  });
});

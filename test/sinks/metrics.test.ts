import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import { Metrics } from '../../src/sinks/metrics';
import { DiscoveryMetrics } from '../../src/sinks/discovery-metrics';
import { PollingMetrics } from '../../src/sinks/polling-metrics';
import { RoomRegistry } from '../../src/discovery/room-registry';
import { snapshot } from '../fakes/fake-api';

const GOLDEN = join(__dirname, '..', 'fixtures', 'metrics', 'rtc.golden.prom');

async function build(): Promise<{ metrics: Metrics; store: RoomStore; registry: RoomRegistry }> {
  const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
  store.setRooms([
    { appId: 'app', roomId: 'full', capacity: 3 },
    { appId: 'app', roomId: 'gone' },
    { appId: 'app', roomId: 'failing' },
    { appId: 'app', roomId: 'never-polled' },
    { appId: 'a"b', roomId: 'odd\\id' },
  ]);
  await store.applySuccess({ appId: 'app', roomId: 'full' }, snapshot(['a'], ['b']), 1_000_000);
  await store.applySuccess({ appId: 'app', roomId: 'full' }, snapshot(['a', 'c'], ['b'], ), 1_015_000);
  await store.applySuccess({ appId: 'app', roomId: 'gone' }, { exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] }, 1_015_000);
  await store.applySuccess({ appId: 'app', roomId: 'failing' }, snapshot(['x']), 1_000_000);
  store.applyFailure({ appId: 'app', roomId: 'failing' });
  await store.applySuccess({ appId: 'a"b', roomId: 'odd\\id' }, { ...snapshot([], ['p']), totalInvisibleUsers: 2, totalUsers: 2 }, 1_015_000);
  const metrics = new Metrics({
    rooms: () => store.views(),
    roomCount: () => store.size(),
    rates: () => [{ account: 'default', configuredQps: 30, effectiveQps: 15 }],
    pollIntervalSeconds: () => 15,
    version: '0.0.0-test',
  });
  const registry = new RoomRegistry(300_000);
  registry.replace('static', 'static', [{ appId: 'app', roomId: 'full', account: 'default', capacity: 3 }], 0);
  registry.replace('file', 'file', [{ appId: 'app', roomId: 'full', account: 'default', labels: { team: 'blue' } }], 0);
  registry.callLive({ appId: '12345', roomId: 'class-1', account: 'eu' }, 0);
  registry.callLive({ appId: '12345', roomId: 'class-2', account: 'eu' }, 0);
  registry.polled('12345', 'class-2', false, 1000);
  const discovery = new DiscoveryMetrics(metrics.registry, { rooms: () => registry.rooms(), retiredTotal: () => registry.retiredTotal(), version: () => registry.version() });
  metrics.addTextFamilies(() => discovery.roomInfoPiece());
  // Adaptive intervals; the retired room (gone) has none.
  const intervals = new Map([['full', 15], ['failing', 171.4], ['never-polled', 42.123456], ['odd\\id', 15]]);
  const polling = new PollingMetrics(metrics.registry, { strategy: () => 'adaptive', rooms: () => store.views(), intervalOf: (_appId, roomId) => intervals.get(roomId) });
  metrics.addTextFamilies(() => polling.intervalsPiece());
  discovery.request('list_room_info', true);
  discovery.request('list_room_info', false);
  discovery.passSucceeded('list_room_info', '12345', 1_010_000);
  discovery.rangeSplit();
  const account = metrics.forAccount('default');
  account.requestDone('GetRoomOnlineUsers', 'Success', 0.02);
  account.requestDone('GetRoomOnlineUsers', 'FlowLimitExceeded', 0.01);
  account.throttled();
  metrics.cycleDone(1.5);
  metrics.cycleCompletedAt(1_015_500);
  metrics.overrun(2);
  return { metrics, store, registry };
}

/** Our own series only (process and Node.js defaults vary by machine), histogram buckets left out. */
function ours(text: string): string {
  return text
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?rtc_/.test(l) && !l.includes('_bucket{') && !/_(sum|count)[{ ]/.test(l))
    .filter((l) => !l.startsWith('rtc_monitor_build_info'))
    .join('\n')
    .concat('\n');
}

describe('Metrics', () => {
  it('renders the rtc_* families as in the golden file', async () => {
    const text = ours(await (await build()).metrics.render());
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('keeps the rtc_room_info piece (and so its gzip) while the rooms stay the same, and renders it again when they change', async () => {
    const { metrics, registry } = await build();
    const infoPiece = async () => (await metrics.renderSegments()).find((p) => p.text.includes('# TYPE rtc_room_info'))!;
    const first = await infoPiece();
    expect(await infoPiece()).toBe(first);
    registry.replace('file', 'file', [{ appId: 'app', roomId: 'full', account: 'default', labels: { team: 'red' } }], 2000);
    const changed = await infoPiece();
    expect(changed).not.toBe(first);
    expect(changed.text).toContain('team="red"');
    expect(changed.text).not.toContain('team="blue"');
  });

  it('drops a room from every family as soon as it is no longer configured', async () => {
    const { metrics, store } = await build();
    store.setRooms([{ appId: 'app', roomId: 'full', capacity: 3 }]);
    const text = await metrics.render();
    expect(text).not.toContain('room_id="gone"');
    expect(text).toContain('rtc_room_total_users{app_id="app",room_id="full"} 3');
  });

  it('keeps known codes as label values and maps any other code to Other, so a broken upstream cannot grow the series', async () => {
    const { metrics } = await build();
    const account = metrics.forAccount('default');
    for (let i = 0; i < 50; i++) account.requestDone('GetRoomOnlineUsers', `Bogus${i}<script>`, 0.01);
    account.requestDone('GetRoomOnlineUsers', 'InvalidParameter', 0.01);
    const codes = [...(await metrics.render()).matchAll(/^rtc_api_requests_total\{action="GetRoomOnlineUsers",code="([^"]*)",account="default"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`);
    expect(codes.sort()).toEqual(['FlowLimitExceeded=1', 'InvalidParameter=1', 'Other=50', 'Success=1']);
  });

  it('exports process metrics and build info, and no gauge ending in _total', async () => {
    const text = await (await build()).metrics.render();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^rtc_monitor_build_info\{version="0.0.0-test",node_version="v\d+/m);
    const gaugesWithTotal = [...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1]);
    expect(gaugesWithTotal).toEqual([]);
  });
});

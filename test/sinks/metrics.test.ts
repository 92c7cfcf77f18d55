import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import { Metrics } from '../../src/sinks/metrics';
import { snapshot } from '../fakes/fake-api';

const GOLDEN = join(__dirname, '..', 'fixtures', 'metrics', 'rtc.golden.prom');

async function build(): Promise<{ metrics: Metrics; store: RoomStore }> {
  const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }));
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
    configuredQps: () => 30,
    effectiveQps: () => 15,
    pollIntervalSeconds: () => 15,
    version: '0.0.0-test',
  });
  metrics.requestDone('GetRoomOnlineUsers', 'Success', 0.02);
  metrics.requestDone('GetRoomOnlineUsers', 'FlowLimitExceeded', 0.01);
  metrics.throttled();
  metrics.cycleDone(1.5);
  metrics.cycleCompletedAt(1_015_500);
  metrics.overrun(2);
  return { metrics, store };
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

  it('drops a room from every family as soon as it is no longer configured', async () => {
    const { metrics, store } = await build();
    store.setRooms([{ appId: 'app', roomId: 'full', capacity: 3 }]);
    const text = await metrics.render();
    expect(text).not.toContain('room_id="gone"');
    expect(text).toContain('rtc_room_total_users{app_id="app",room_id="full"} 3');
  });

  it('exports process metrics and build info, and no gauge ending in _total', async () => {
    const text = await (await build()).metrics.render();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^rtc_monitor_build_info\{version="0.0.0-test",node_version="v\d+/m);
    const gaugesWithTotal = [...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1]);
    expect(gaugesWithTotal).toEqual([]);
  });
});

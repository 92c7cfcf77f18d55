import { spawnSync } from 'node:child_process';
import type { RoomView } from '../../src/store/room-store';
import { ClusterMetrics } from '../../src/sinks/cluster-metrics';
import { Metrics } from '../../src/sinks/metrics';
import { metricValue } from '../support/served-oracle';
import { findExecutable } from '../support/required-tools';

const room: RoomView = {
  appId: 'a',
  roomId: 'r1',
  exists: true,
  up: true,
  totalUsers: 3,
  totalInvisibleUsers: 1,
  invisibleTruncated: false, visibleTruncated: false,
  lastSuccessMs: 1_700_000_000_000,
  joins: 2,
  leaves: 1,
  visibilityChanges: 0,
  pollFailures: 0,
} as RoomView;

function setup(state: { leader: boolean; owns: boolean; token: number; won: number; up: boolean }) {
  // As main wires it: room series only from the replica that owns the room state.
  const metrics = new Metrics({
    rooms: () => (state.owns ? [room] : []),
    roomCount: () => 1,
    rates: () => [],
    pollIntervalSeconds: () => 15,
    version: 'test',
  });
  const cluster = new ClusterMetrics(metrics.registry, { leader: () => state.leader, token: () => state.token, acquisitions: () => state.won, redisUp: () => state.up });
  return { metrics, cluster };
}

describe('cluster metrics', () => {
  it('a leader exports its role, token, takeovers, Redis health and the room series', async () => {
    const { metrics } = setup({ leader: true, owns: true, token: 41, won: 2, up: true });
    const text = await metrics.render();
    expect(metricValue(text, 'rtc_cluster_leader')).toBe(1);
    expect(metricValue(text, 'rtc_cluster_fencing_token')).toBe(41);
    expect(metricValue(text, 'rtc_cluster_failovers_total')).toBe(2);
    expect(metricValue(text, 'rtc_cluster_redis_up')).toBe(1);
    expect(metricValue(text, 'rtc_cluster_fenced_events_total')).toBe(0);
    expect(metricValue(text, 'rtc_room_up', 'r1')).toBe(1);
  });

  it('a standby exports the cluster series but no room series (sum() across replicas does not double)', async () => {
    const { metrics } = setup({ leader: false, owns: false, token: 0, won: 0, up: true });
    const text = await metrics.render();
    expect(metricValue(text, 'rtc_cluster_leader')).toBe(0);
    expect(text).not.toContain('rtc_room_up{');
    expect(text).not.toContain('rtc_room_total_users{');
  });

  it('a leader cut off from Redis keeps its last room values and says Redis is down', async () => {
    const state = { leader: false, owns: true, token: 7, won: 1, up: false };
    const { metrics, cluster } = setup(state);
    cluster.withheld([{ type: 'join' } as never, { type: 'leave' } as never]);
    const text = await metrics.render();
    expect(metricValue(text, 'rtc_cluster_leader')).toBe(0);
    expect(metricValue(text, 'rtc_cluster_redis_up')).toBe(0);
    expect(metricValue(text, 'rtc_room_up', 'r1')).toBe(1);
    expect(metricValue(text, 'rtc_cluster_fenced_events_total')).toBe(2);
  });

  const promtool = findExecutable('promtool');
  (promtool ? it : it.skip)('passes promtool check metrics', async () => {
    const { metrics } = setup({ leader: true, owns: true, token: 3, won: 1, up: true });
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await metrics.render(), encoding: 'utf8' });
    expect({ status: r.status, findings: (r.stdout + r.stderr).trim() }).toEqual({ status: 0, findings: '' });
  });
});

import { monotonicClock } from '../../src/clock';
import { chooseDeployment } from '../../src/cluster/deployment';
import { parseConfig } from '../../src/config/load';
import { memoryLogger, RecordingSink } from '../fakes/recorders';

const ROOMS = 'rooms: [{appId: a, roomId: r1}]\n';
const CLUSTER = 'cluster: {redis: {url: "redis://127.0.0.1:1"}}\n';

describe('chooseDeployment: the one place that tells the deployments apart', () => {
  test.each([
    ['one process', `${ROOMS}state: {backend: memory}`, 'single', 'committed', false, false],
    ['replicas, no state.backend: the shared store', ROOMS + CLUSTER, 'replicas-shared-store', 'committed', true, false],
    ['replicas with their own memory stores', `${ROOMS}${CLUSTER}state: {backend: memory}`, 'replicas-own-store', 'empty', false, true],
  ])('%s', async (_name, yaml, kind, baseline, webhookFollowsLeader, sinkGated) => {
    const d = chooseDeployment(parseConfig(yaml), { logger: memoryLogger().logger, monotonic: monotonicClock });
    try {
      expect(d.kind).toBe(kind);
      expect(d.leaderBaseline).toBe(baseline);
      expect(d.webhookLeader !== undefined).toBe(webhookFollowsLeader);
      const sink = new RecordingSink();
      expect(d.gateSink(sink, () => undefined) !== sink).toBe(sinkGated);
      if (kind === 'single') {
        expect(d.leadership.token()).toBeDefined();
        const { store } = await d.openState({ uncommitted: () => undefined });
        await store.setCursor('file', 1, d.leadership.token());
        expect(await store.getCursor('file')).toBe(1);
        await store.close();
      }
      if (kind === 'replicas-own-store') {
        // Not leading (the lease was never won): the store refuses every write.
        const { store } = await d.openState({ uncommitted: () => undefined });
        await expect(store.setCursor('file', 1, d.leadership.token())).rejects.toMatchObject({ name: 'StaleLeaderError' });
        await store.close();
      }
    } finally {
      await d.cluster?.close();
    }
  });
});

import { eventsApi } from '../../src/http/events-api';
import { MemoryStore } from '../../src/store/memory-store';

async function storeWith(n: number): Promise<MemoryStore> {
  const s = new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 });
  const events = Array.from({ length: n }, (_, i) => ({ time: '2026-01-01T00:00:00.000Z', type: 'join' as const, appId: 'a', roomId: 'r', userId: `u${i + 1}`, visibility: 'visible' as const }));
  await s.commitPoll({ appId: 'a', roomId: 'r', exists: true, totalUsers: n, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events }, 1);
  return s;
}

const get = async (s: MemoryStore, q: string) => {
  const r = await eventsApi(s, new URLSearchParams(q));
  return { status: r.status, contentType: r.contentType, json: JSON.parse(r.body) as { events?: { id: number }[]; lastId?: number; error?: string } };
};

describe('GET /api/events', () => {
  test('returns events after the given id, oldest first, with the newest id in the log', async () => {
    const s = await storeWith(5);
    const r = await get(s, 'after=2&limit=2');
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/json');
    expect(r.json.events!.map((e) => e.id)).toEqual([3, 4]);
    expect(r.json.events![0]).toEqual({ id: 3, time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'a', roomId: 'r', userId: 'u3', visibility: 'visible', source: 'poll' });
    expect(r.json.lastId).toBe(5);
  });

  test('defaults: after=0, limit=100', async () => {
    const s = await storeWith(150);
    const r = await get(s, '');
    expect(r.json.events!.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  test('a consumer catches up page by page without gaps or repeats', async () => {
    const s = await storeWith(25);
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const { json } = await get(s, `after=${after}&limit=7`);
      if (json.events!.length === 0) break;
      seen.push(...json.events!.map((e) => e.id));
      after = seen[seen.length - 1]!;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test.each([
    ['after=-1', 'after: must be an integer from 0'],
    ['after=abc', 'after: must be an integer from 0'],
    ['after=1.5', 'after: must be an integer from 0'],
    ['limit=0', 'limit: must be an integer from 1 to 1000'],
    ['limit=1001', 'limit: must be an integer from 1 to 1000'],
  ])('%s is a 400 naming the parameter', async (q, message) => {
    const r = await get(await storeWith(1), q);
    expect(r.status).toBe(400);
    expect(r.json.error).toContain(message);
  });
});

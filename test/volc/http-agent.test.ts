import { ApiAgentCache, createApiAgents, idleTimeoutFor } from '../../src/volc/http-agent';

/** Node keeps an agent's constructor options on `options` (not in @types/node for http.Agent). */
const optionsOf = (agent: object): Record<string, unknown> => (agent as { options: Record<string, unknown> }).options;

describe('API connection pools', () => {
  it('keep idle sockets longer than the schedule period (Node default: 5 s)', () => {
    expect(idleTimeoutFor(15)).toBe(30_000);
    expect(idleTimeoutFor(60)).toBe(75_000);
    expect(idleTimeoutFor(300)).toBeGreaterThan(300_000);
    const agents = createApiAgents({ idleTimeoutMs: idleTimeoutFor(15) });
    try {
      expect(optionsOf(agents.https)).toMatchObject({ keepAlive: true, timeout: 30_000, rejectUnauthorized: true });
      expect(optionsOf(agents.http)).toMatchObject({ keepAlive: true, timeout: 30_000 });
    } finally {
      agents.destroy();
    }
  });

  it('are reused across reloads while the CA and idle timeout stay the same, and rebuilt when either changes', () => {
    const cache = new ApiAgentCache();
    try {
      const first = cache.get({ idleTimeoutMs: 30_000 });
      expect(cache.get({ idleTimeoutMs: 30_000 })).toBe(first);
      const withCa = cache.get({ idleTimeoutMs: 30_000, ca: 'PEM' });
      expect(withCa).not.toBe(first);
      expect(optionsOf(withCa.https).ca).toBe('PEM');
      expect(cache.get({ idleTimeoutMs: 75_000, ca: 'PEM' })).not.toBe(withCa);
    } finally {
      cache.destroy();
    }
  });
});

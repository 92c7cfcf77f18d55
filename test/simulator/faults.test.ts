import { FAULT_KINDS, NO_FAULTS, mergeFaults, pickFault } from '../../src/simulator/faults';

describe('faults', () => {
  it('fires each kind with its own probability', () => {
    const settings = mergeFaults(NO_FAULTS, { status500: 0.1, hang: 0.2, errorOn200: 0.3 });
    const counts = new Map<string, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const kind = pickFault(settings, (i + 0.5) / draws) ?? 'none';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ status500: 1000, hang: 2000, errorOn200: 3000, none: 4000 });
  });

  it('always fires a kind set to 1 and never one set to 0', () => {
    for (const kind of FAULT_KINDS) {
      const settings = mergeFaults(NO_FAULTS, { [kind]: 1 });
      expect(pickFault(settings, 0)).toBe(kind);
      expect(pickFault(settings, 0.999999)).toBe(kind);
    }
    expect(pickFault(NO_FAULTS, 0)).toBeUndefined();
  });

  it('merges partial updates and rejects invalid ones naming the key', () => {
    const a = mergeFaults(NO_FAULTS, { hang: 0.5 });
    expect(mergeFaults(a, { latencyMs: 10 })).toMatchObject({ hang: 0.5, latencyMs: 10 });
    expect(() => mergeFaults(a, { hang: 2 })).toThrow('faults.hang');
    expect(() => mergeFaults(a, { nope: 1 })).toThrow('faults.nope: unknown key');
    expect(() => mergeFaults(a, { status500: 0.6 })).toThrow('sum');
  });
});

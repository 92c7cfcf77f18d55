/**
 * Small seeded PRNG so a simulated world replays identically from a seed. Math.random cannot be seeded,
 * and the integration tests rely on the same seed giving the same churn.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Waiting time until the next event of a Poisson process with `ratePerMs` (Infinity when the rate is 0). */
  exponentialMs(ratePerMs: number): number;
}

// Bound once at load: under jest's vm sandbox every `Math.x` is a slow global lookup, and churn replay
// calls these millions of times.
const { imul, log, floor } = Math;

/** 32-bit FNV-1a over the parts (joined with a separator), mixed with a base seed. */
export function hashSeed(base: number, ...parts: string[]): number {
  let h = (0x811c9dc5 ^ (base >>> 0)) >>> 0;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) ?? 0;
    h = imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast, and good enough for simulation (not for anything secret). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => floor(next() * n),
    exponentialMs(ratePerMs) {
      if (!(ratePerMs > 0)) return Infinity;
      // 1 - u is in (0, 1], so the log is finite.
      return -log(1 - next()) / ratePerMs;
    },
  };
}

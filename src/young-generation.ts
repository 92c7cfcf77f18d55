import v8 from 'node:v8';

/**
 * The young generation's size the daemon keeps to (both semi-spaces): `--max-semi-space-size=2`'s. Measured
 * against 8 MiB: 4 MiB less RSS, no more CPU (BENCHMARKS.md, "Young generation").
 */
export const YOUNG_GENERATION_CAP_BYTES = 4 * 2 ** 20;

/** How often the size is looked at: growth needs megabytes of survivors, which take the daemon tens of seconds. */
const CHECK_EVERY_MS = 1000;

/** What the cap needs of V8: its new space's size, and the factor it grows that space by. */
export interface YoungGenerationHeap {
  newSpaceBytes(): number;
  setGrowthFactor(factor: 1): void;
}

/**
 * Keeps V8's young generation at or under a cap, so the daemon's RSS stays level.
 *
 * Why: V8 doubles the new space whenever the bytes that survived its scavenges since the last growth add up
 * to its size, up to 16 MiB a semi-space (32 MiB committed), and gives it back only when the memory reducer
 * runs. The daemon's survivors are few but steady (a poll's parse in progress), so its new space climbs to
 * the top in a few minutes whatever the build, and RSS saw-tooths between ~95 and ~128 MiB: 25–30 MiB for
 * no benefit, since its scavenges are cheap at any size (BENCHMARKS.md, "Young generation"). The right tool
 * is `node --max-semi-space-size=2`, but a flag the operator must remember on every command line (npm's bin,
 * `node dist/src/cli.js`, the container's command) is not one they will have; and the maximum cannot be
 * lowered once V8 has started. The growth factor can: V8 reads it each time it grows the space. So once the
 * space has reached the cap this sets it to 1, for good: letting it grow again after the memory reducer
 * shrank the space would need a look between every two growths, and with many survivors two growths can
 * come between two looks (the real-V8 test saw 2 → 8 MiB). A space shrunk below the cap stays there, which
 * costs a few more scavenges. An operator who passes `--max-semi-space-size` (or `--semi-space-growth-factor`)
 * gets exactly that instead (`wanted`).
 */
export class YoungGenerationCap {
  private capped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly heap: YoungGenerationHeap,
    private readonly capBytes = YOUNG_GENERATION_CAP_BYTES,
  ) {}

  /** One look at the space: at or over the cap, no more growth from now on. True once capped. */
  check(): boolean {
    if (this.capped || this.heap.newSpaceBytes() < this.capBytes) return this.capped;
    this.heap.setGrowthFactor(1);
    this.capped = true;
    this.stop(); // nothing left to watch
    return true;
  }

  start(): void {
    if (this.check()) return;
    this.timer ??= setInterval(() => this.check(), CHECK_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The running V8's heap. */
export const v8Heap: YoungGenerationHeap = {
  newSpaceBytes: () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  setGrowthFactor: (factor) => v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`),
};

/** False when the operator sized the young generation themselves (on the command line or in NODE_OPTIONS). */
export function wanted(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return !flags.some((f) => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(=|$)/.test(f));
}

import { YoungGenerationCap, wanted } from '../src/young-generation';

/** A heap whose new space the test sizes, recording the growth factors set. */
function fakeHeap(bytes: number) {
  const heap = { bytes, set: [] as number[] };
  return {
    heap,
    port: { newSpaceBytes: () => heap.bytes, setGrowthFactor: (f: 1) => void heap.set.push(f) },
  };
}

const MiB = 2 ** 20;

describe('YoungGenerationCap', () => {
  it('stops growth once the space reaches the cap, for good', () => {
    const { heap, port } = fakeHeap(2 * MiB);
    const cap = new YoungGenerationCap(port, 4 * MiB);
    expect(cap.check()).toBe(false);
    expect(heap.set).toEqual([]); // under the cap: V8's own growth
    heap.bytes = 4 * MiB;
    expect(cap.check()).toBe(true);
    expect(heap.set).toEqual([1]);
    heap.bytes = 2 * MiB; // the memory reducer shrank it: growing again could overshoot between two looks
    expect(cap.check()).toBe(true);
    expect(heap.set).toEqual([1]);
  });

  it('looks at start, so a process already over the cap stops growing at once', () => {
    const { heap, port } = fakeHeap(32 * MiB);
    const cap = new YoungGenerationCap(port, 8 * MiB);
    cap.start();
    cap.stop();
    expect(heap.set).toEqual([1]);
  });
});

describe('wanted', () => {
  it('is false when the operator sized the young generation themselves', () => {
    expect(wanted([], undefined)).toBe(true);
    expect(wanted(['--max-old-space-size=512'], '--enable-source-maps')).toBe(true);
    expect(wanted(['--max-semi-space-size=16'], undefined)).toBe(false);
    expect(wanted([], '--max-old-space-size=512 --max_semi_space_size=2')).toBe(false);
    expect(wanted(['--semi-space-growth-factor=4'], undefined)).toBe(false);
    expect(wanted(['--max-semi-space-size', '8'], undefined)).toBe(false);
  });
});

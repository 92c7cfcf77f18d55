import fc from 'fast-check';
import { FlowCap, PeakWindow, RollingWindow } from '../../src/simulator/flow-window';

describe('FlowCap', () => {
  it('accepts capQps requests per rolling second, not per calendar second', () => {
    const cap = new FlowCap(40);
    const at = (t: number, n: number): boolean[] => Array.from({ length: n }, () => cap.tryAccept(t));
    // 40 requests at t=900 fill the window; a calendar-second limiter would reset at t=1000.
    expect(at(900, 40).every(Boolean)).toBe(true);
    expect(at(1000, 5)).toEqual([false, false, false, false, false]);
    expect(at(1899, 1)).toEqual([false]);
    // At t=1900 the first 40 are exactly 1000 ms old and out of the window (t - 1000, t].
    expect(at(1900, 41)).toEqual([...Array(40).fill(true), false]);
  });

  it('does not count throttled requests toward the window', () => {
    const cap = new FlowCap(2);
    expect([cap.tryAccept(0), cap.tryAccept(0)]).toEqual([true, true]);
    for (let t = 1; t < 1000; t += 10) expect(cap.tryAccept(t)).toBe(false);
    expect(cap.tryAccept(1000)).toBe(true);
  });
});

describe('PeakWindow', () => {
  it('equals a brute-force maximum over all 1000 ms windows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 200 }), (raw) => {
        const times = [...raw].sort((a, b) => a - b);
        const peak = new PeakWindow(1000);
        for (const t of times) peak.record(t);
        let brute = 0;
        for (const end of times) brute = Math.max(brute, times.filter((t) => t > end - 1000 && t <= end).length);
        expect(peak.max).toBe(brute);
      }),
    );
  });
});

describe('RollingWindow', () => {
  it('keeps working after compacting a long history', () => {
    const w = new RollingWindow(1000);
    for (let t = 0; t < 20_000; t++) w.record(t);
    expect(w.countAt(19_999)).toBe(1000);
    expect(w.countAt(30_000)).toBe(0);
  });
});

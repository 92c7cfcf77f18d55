import { intervals, maxInWindow, median, percentile, slope } from '../../bench/stats';

describe('percentile (nearest rank)', () => {
  it.each([
    [[5, 1, 3, 2, 4], 50, 3],
    [[5, 1, 3, 2, 4], 100, 5],
    [[5, 1, 3, 2, 4], 0, 1],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
    [[7], 99, 7],
  ])('%j p%d = %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('is NaN for no values, and does not reorder its input', () => {
    expect(percentile([], 50)).toBeNaN();
    const input = [3, 1, 2];
    expect(median(input)).toBe(2);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe('maxInWindow', () => {
  it('counts a half-open window (t - 1000, t], like the vendor', () => {
    // 0 and 1000 are exactly one window apart: never in the same window.
    expect(maxInWindow([0, 1000, 2000])).toBe(1);
    expect(maxInWindow([0, 999.9, 1999.8])).toBe(2);
  });

  it('finds the busiest window wherever it is, in any input order', () => {
    const paced = Array.from({ length: 100 }, (_, i) => i * 25);
    expect(maxInWindow(paced)).toBe(40);
    expect(maxInWindow([...paced, 10, 11, 12].reverse())).toBe(43);
  });

  it('handles ties and the empty list', () => {
    expect(maxInWindow([5, 5, 5])).toBe(3);
    expect(maxInWindow([])).toBe(0);
  });
});

describe('intervals and slope', () => {
  it('gives gaps between sorted times', () => {
    expect(intervals([30, 10, 15])).toEqual([5, 15]);
    expect(intervals([1])).toEqual([]);
  });

  it('fits a least-squares slope', () => {
    expect(slope([1, 2, 3], [10, 20, 30])).toBeCloseTo(10);
    expect(slope([0, 1000, 10_000], [50, 150, 1050])).toBeCloseTo(0.1);
    expect(slope([1, 1], [2, 3])).toBeNaN();
    expect(slope([1], [2])).toBeNaN();
  });
});

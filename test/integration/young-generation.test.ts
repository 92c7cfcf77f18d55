import { execFileSync } from 'node:child_process';
import { repoPath } from '../support/repo-paths';

/**
 * The cap against the real V8 (the fake-heap test cannot show that V8 honours the growth factor when it is
 * set at run time). A child node allocates with many survivors, which makes V8 grow its new space; with the
 * cap, the space stops at it; without, the same work grows it past it (so the test can fail).
 */
function newSpaceAfterChurn(capped: boolean): { most: number; cap: number } {
  const script = `
    const { YoungGenerationCap, YOUNG_GENERATION_CAP_BYTES, v8Heap } = require(${JSON.stringify(repoPath('dist', 'src', 'young-generation.js'))});
    const cap = new YoungGenerationCap(v8Heap);
    const kept = [];
    let most = 0;
    for (let round = 0; round < 400; round++) {
      const batch = [];
      for (let i = 0; i < 5000; i++) batch.push({ i, s: 'member-' + i, a: [i] });
      kept.push(batch);
      if (kept.length > 40) kept.shift();
      if (${String(capped)}) cap.check();
      most = Math.max(most, v8Heap.newSpaceBytes());
    }
    process.stdout.write(JSON.stringify({ most, cap: YOUNG_GENERATION_CAP_BYTES }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })) as { most: number; cap: number };
}

describe('young generation cap (real V8)', () => {
  it('keeps the new space at the cap where V8 alone grows it past', () => {
    const alone = newSpaceAfterChurn(false);
    expect(alone.cap).toBe(4 * 2 ** 20);
    expect(alone.most).toBeGreaterThan(alone.cap);
    expect(newSpaceAfterChurn(true).most).toBeLessThanOrEqual(alone.cap);
  });
});

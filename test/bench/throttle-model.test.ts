import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { modelRun } from '../../bench/throttle-model';

describe('throttle model (bench/throttle-model.ts)', () => {
  it('without 429s polls each room once per rooms / qps, plus the start window guard, and never cuts', () => {
    const run = modelRun(0, 60, 350, 35, 1);
    expect(run.cuts).toBe(0);
    // The window is held 1010 ms for 35 starts: 1 % over the optimum.
    expect(run.p99).toBeGreaterThanOrEqual(1.0);
    expect(run.p99).toBeLessThan(1.02);
  });

  it('sees throttling: refusals on one request in twenty cut the rate and stretch the cycle', () => {
    const run = modelRun(0.05, 60, 350, 35, 1);
    expect(run.cuts).toBeGreaterThan(0);
    expect(run.p99).toBeGreaterThan(1.3);
  });

  it('prints its summary from the built script (npm run bench:throttle-model)', () => {
    const script = resolve(__dirname, '..', '..', 'dist', 'bench', 'throttle-model.js');
    const out = spawnSync(process.execPath, [script, '--runs', '3', '--seconds', '20'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/3 runs of 20 s, 350 rooms at qps 35/);
    expect(out.stdout).toMatch(/runs with p99 > 1\.05: \d+\.\d %/);
    const bad = spawnSync(process.execPath, [script, '--p', 'lots'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--p lots: expected a number');
  });
});

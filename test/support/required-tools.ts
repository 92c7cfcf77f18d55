import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Integration tests that need something outside node_modules (a `prometheus` binary, the built daemon)
 * declare it here. Outside CI a missing requirement skips the suite with a visible warning, so a developer
 * without Prometheus installed can still run `npm test`; with CI=true it fails instead, so CI can never
 * go green by skipping (.ci/run installs the tools first, see scripts/ci-install-tools.sh).
 */

export interface Requirement {
  /** What is needed, e.g. "promtool". */
  name: string;
  available: boolean;
  /** How to get it. */
  hint: string;
}

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').toLowerCase();
  return v === 'true' || v === '1';
}

/** The absolute path of `name` on PATH, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function executable(name: string, hint = 'run scripts/ci-install-tools.sh (Debian: apt-get install prometheus docker-compose)'): Requirement {
  return { name, available: findExecutable(name) !== undefined, hint };
}

export function fileRequirement(name: string, exists: boolean, hint: string): Requirement {
  return { name, available: exists, hint };
}

/** `describe` that runs only when every requirement is met (see the file comment for CI behaviour). */
export function describeWithRequirements(title: string, requirements: Requirement[], body: () => void): void {
  const missing = requirements.filter((r) => !r.available);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const message = `${title}: missing ${missing.map((r) => `${r.name} (${r.hint})`).join(', ')}`;
  if (isCI()) {
    describe(title, () => {
      it('has its required tools', () => {
        throw new Error(`${message}; CI=true, so this fails instead of skipping`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(title, body);
}

import { existsSync } from 'node:fs';
import { packagePath, packageRoot } from '../src/package-paths';
import { packageVersion } from '../src/version';
import { defaultDemoConfig } from '../src/demo';
import { REPO_ROOT } from './support/repo-paths';

describe('package paths', () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it('are found from the code, whatever the working directory', () => {
    process.chdir('/');
    expect(packageRoot()).toBe(REPO_ROOT);
    expect(packagePath('config', 'monitor.example.yaml')).toBe(`${REPO_ROOT}/config/monitor.example.yaml`);
    expect(defaultDemoConfig()).toBe(`${REPO_ROOT}/config/demo.yaml`);
    expect(existsSync(defaultDemoConfig())).toBe(true);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

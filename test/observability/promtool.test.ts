import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describeWithRequirements, executable } from '../support/required-tools';
import { REPO_ROOT, repoPath } from '../support/repo-paths';

// promtool / amtool on the shipped files, exactly as a user would run them.

const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
const ymlIn = (...parts: string[]): string[] =>
  readdirSync(repoPath(...parts))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => repoPath(...parts, f));

describeWithRequirements('promtool', [executable('promtool')], () => {
  it('check config: prometheus.yml and the rule files it loads are valid', () => {
    const r = tool('promtool', ['check', 'config', repoPath('config', 'prometheus', 'prometheus.yml')]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
    expect(r.stdout).toMatch(/SUCCESS: \d+ rule files found/);
  });

  it('check rules: every rule file is valid and lint-clean', () => {
    const files = ymlIn('config', 'prometheus', 'rules');
    expect(files.length).toBeGreaterThan(0);
    const r = tool('promtool', ['check', 'rules', ...files]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('test rules: every alert fires and stays quiet where the tests say', () => {
    const files = ymlIn('config', 'prometheus', 'tests');
    expect(files.length).toBeGreaterThan(0);
    const r = tool('promtool', ['test', 'rules', ...files]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });
});

describeWithRequirements(
  'amtool',
  [executable('amtool', 'run scripts/ci-install-tools.sh (Debian: apt-get install prometheus-alertmanager)')],
  () => {
    it('check-config: alertmanager.yml is valid', () => {
      const r = tool('amtool', ['check-config', repoPath('config', 'alertmanager', 'alertmanager.yml')]);
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
    });
  },
);

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'rtc-room-monitor';

/**
 * The directory of this package's own package.json, found by walking up from this file: src/ under
 * ts-jest, dist/src/ in a checkout, node_modules/rtc-room-monitor/dist/src/ once installed. Files the
 * package ships (configs, rules, dashboards) are found from here, never from the working directory, which
 * is wherever the user happens to run the command.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (readPackageJson(dir)?.name === PACKAGE_NAME) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${__dirname}`);
}

/** A file shipped with the package, e.g. packagePath('config', 'demo.yaml'). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** The package.json in dir, or undefined when there is none (or it is not JSON). */
export function readPackageJson(dir: string): { name?: string; version?: string } | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}

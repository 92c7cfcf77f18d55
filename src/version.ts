import { packageRoot, readPackageJson } from './package-paths';

/** The package version (works from src/ under ts-jest, from dist/ and from an installed package). */
export function packageVersion(): string {
  try {
    return readPackageJson(packageRoot())?.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

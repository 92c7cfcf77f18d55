import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { Config, configSchema } from './schema';

/** A config that could not be loaded; `problems` are `key.path: message` lines. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n  ${problems.join('\n  ')}`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${path === '(root)' ? k : `${path}.${k}`}: unknown key`);
  }
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(raw, issue.path) === undefined) {
    return [`${path}: is required`];
  }
  if (issue.code === 'invalid_union') {
    return [`${path}: must be a non-empty string`];
  }
  return [`${path}: ${issue.message}`];
}

/** Parse YAML text into a validated Config. Pure: no file or env access. */
export function parseConfig(text: string, file = '<config>'): Config {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `(yaml): ${e.message.split('\n')[0]}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, ['(root): must be a YAML mapping']);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, result.error.issues.flatMap((i) => describeIssue(i, raw)));
  return result.data;
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`(file): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, file);
}

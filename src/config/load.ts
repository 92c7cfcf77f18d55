import { readFileSync } from 'node:fs';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
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

const PLAIN_DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Room ids are strings, but YAML reads an unquoted `007`, `0x1F`, `1e3` or `1.0` as a number, and the
 * number's text is a different room ("7", "31", "1000", "1"). Only the source text can tell, so this
 * looks at the YAML nodes before they become values: plain decimal digits (no leading zero) become the
 * string as written (also keeping ids beyond 2^53 exact); any other unquoted number is an error.
 */
function normaliseNumericIds(doc: Document.Parsed): string[] {
  const problems: string[] = [];
  const rooms = isMap(doc.contents) ? doc.contents.get('rooms', true) : undefined;
  if (!isSeq(rooms)) return problems;
  rooms.items.forEach((item, i) => {
    if (!isMap(item)) return;
    for (const key of ['appId', 'roomId']) {
      const node = item.get(key, true);
      if (!isScalar(node) || (typeof node.value !== 'number' && typeof node.value !== 'bigint')) continue;
      const text = node.source ?? String(node.value);
      if (node.type === 'PLAIN' && PLAIN_DECIMAL.test(text)) {
        item.set(key, text);
      } else {
        problems.push(`rooms[${i}].${key}: the unquoted number ${text} would be read as ${String(node.value)}; quote it ("${text}")`);
      }
    }
  });
  return problems;
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
  const idProblems = normaliseNumericIds(doc);
  if (idProblems.length > 0) throw new ConfigError(file, idProblems);
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

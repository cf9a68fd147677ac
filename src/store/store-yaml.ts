// A store's text read by yaml: everything quick-yaml.ts does not take, and the edits.
import { isMap, isScalar, parseDocument, visit, YAMLParseError, type Document, type YAMLError } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { storeContents } from './store-text.js';
import type { QuickStore } from './quick-yaml.js';

/**
 * A YAML error as `file:line:col: does not parse: reason`, for loading and editing alike.
 * The reason is yaml's sentence without the source text some messages quote: the file may
 * not be a knock store at all (`--config /etc/shadow`), and its lines are not ours to print.
 */
export function yamlError(file: string, error: YAMLError, text: string): ConfigError {
  const offset = error.pos[0];
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const at = offset >= 0 && offset <= text.length ? `:${line}:${offset - before.lastIndexOf('\n')}` : '';
  const first = error.message.split('\n')[0] ?? '';
  const reason = first.replace(/ at line \d+, column \d+:?$/, '').replace(/:\s.*$/, '');
  return new ConfigError(`${printable(file)}${at}: does not parse: ${reason}`);
}

/**
 * yaml's document with its first error (yaml's own, or a key repeated in one mapping), or none.
 * yaml's uniqueKeys compares each key with every earlier one of its mapping, which costs n²
 * in a store of n profiles (10k profiles: seconds); a set per mapping does it in one pass.
 */
export function parseYaml(text: string): { doc: Document; error?: YAMLError } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, logLevel: 'silent' });
  let first: YAMLError | undefined = doc.errors[0];
  // yaml reads the first document and drops the rest without a word: a store is one document,
  // and a second one (profiles someone thought were read) is an error.
  const end = doc.range[2];
  const rest = text.slice(end);
  const more = /^(?![ \t]*(?:#.*)?\r?$)(?!\.\.\.[ \t]*\r?$).*$/m.exec(rest);
  if (!first && more) first = new YAMLParseError([end + more.index, end + more.index + 1], 'MULTIPLE_DOCS', 'a store is one YAML document, and this file holds more');
  visit(doc, {
    Map(_k, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || Number.isNaN(pair.key.value)) continue;
        const at = pair.key.range?.[0] ?? 0;
        if (!seen.has(pair.key.value)) seen.add(pair.key.value);
        else if (!first || at < first.pos[0]) first = new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique');
      }
    },
  });
  return first ? { doc, error: first } : { doc };
}

/** The contents of a store's text (see storeContents), whatever its shape. */
export function parseStoreText(file: string, text: string, quick?: QuickStore): unknown {
  return storeContents(file, text, parseWithYaml, quick);
}

function parseWithYaml(file: string, text: string): unknown {
  const name = printable(file);
  const { doc, error } = parseYaml(text);
  if (error) throw yamlError(file, error, text);
  let value: unknown;
  try {
    // A hundred aliases is plenty for a store and stops a billion laughs.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const reason = /alias/i.test((e as Error).message) ? 'an alias without its anchor, or too many aliases' : 'its values cannot be read';
    throw new ConfigError(`${name}: does not parse: ${reason}`);
  }
  // `open: &s [1, *s]`: an alias inside what it names makes a value that contains itself.
  if (containsItself(value)) throw new ConfigError(`${name}: does not parse: an alias used inside its own anchor (a value that contains itself)`);
  return value;
}

/** Whether a value reaches itself (a YAML alias inside its own anchor). */
function containsItself(value: unknown, path: Set<object> = new Set(), done: Set<object> = new Set()): boolean {
  if (value === null || typeof value !== 'object' || done.has(value)) return false;
  if (path.has(value)) return true;
  path.add(value);
  const children = value instanceof Map ? [...value.keys(), ...value.values()] : Object.values(value);
  const found = children.some((child) => containsItself(child, path, done));
  path.delete(value);
  done.add(value);
  return found;
}

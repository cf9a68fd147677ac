// A store's text to its contents, as far as that needs no YAML parser: the file's kind, and
// knock's own plain shape (quick-yaml.ts); the rest is yaml's (store-yaml.ts).
import path from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { quickStore, type QuickStore } from './quick-yaml.js';

export const MODULE_NAME = 'knock';

/** knock never runs code from its store. */
const CODE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/**
 * The contents of a store's text: YAML (JSON is YAML too), or package.json's "knock" key;
 * `readYaml` reads what quick-yaml does not take. `quick`: quick-yaml's answer for this very
 * text, when the caller already has it.
 */
export function storeContents(file: string, text: string, readYaml: (file: string, text: string) => unknown, quick?: QuickStore): unknown {
  const name = printable(file);
  if (CODE_EXTENSIONS.includes(path.extname(file).toLowerCase())) {
    throw new ConfigError(`${name}: knock reads YAML or JSON profile stores only`);
  }
  if (text.trim() === '') return undefined;
  const read = quick ?? quickStore(text);
  const value = read ? read.value : readYaml(file, text);
  if (path.basename(file) === 'package.json') {
    return value && typeof value === 'object' ? (value as Record<string, unknown>)[MODULE_NAME] : undefined;
  }
  return value;
}

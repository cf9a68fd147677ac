// A profile written as lines of knock's plain shape (block mapping, flow lists of plain words)
// without yaml, where the quick reader (quick-yaml.ts) reads exactly that value back; undefined
// for anything else (quotes, spaces, keywords, payload objects, null), which yaml then writes.
import { blockScalar, isQuickKey, scalar } from './quick-yaml.js';

/**
 * A value as plain text (a word; in a mapping, also a phrase of words), or undefined where it
 * cannot be one that reads back the same.
 */
function word(value: unknown, read: (raw: string) => string | number | undefined = scalar): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 && read(String(value)) === value ? String(value) : undefined;
  if (typeof value === 'string') return read(value) === value ? value : undefined;
  return undefined;
}

/** `key: value` lines of a mapping at `indent`, or undefined where one is not plain. */
function mappingLines(map: Record<string, unknown>, indent: number): string[] | undefined {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    // As JSON (and yaml's createNode) leave it out.
    if (value === undefined) continue;
    if (!isQuickKey(key)) return undefined;
    if (Array.isArray(value)) {
      const words = value.map((v) => word(v));
      if (words.some((w) => w === undefined)) return undefined;
      lines.push(`${pad}${key}: [${words.join(', ')}]`);
    } else if (value !== null && typeof value === 'object') {
      const inner = mappingLines(value as Record<string, unknown>, indent + 2);
      // An empty mapping would read back as null.
      if (!inner || inner.length === 0) return undefined;
      lines.push(`${pad}${key}:`, ...inner);
    } else {
      const w = word(value, blockScalar);
      if (w === undefined) return undefined;
      lines.push(`${pad}${key}: ${w}`);
    }
  }
  return lines;
}

/**
 * `name:` and the profile's keys below it, at `indent`, each line ended by `eol`; undefined
 * where the profile is not plain (yaml's writer takes it).
 */
export function plainProfileLines(name: string, profile: object, indent: number, eol: string): string | undefined {
  if (!isQuickKey(name) || Array.isArray(profile)) return undefined;
  const inner = mappingLines(profile as Record<string, unknown>, indent + 2);
  if (!inner || inner.length === 0) return undefined;
  return [`${' '.repeat(indent)}${name}:`, ...inner].map((line) => line + eol).join('');
}

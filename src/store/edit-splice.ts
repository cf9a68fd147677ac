// Store edits as cuts and insertions of whole lines, so that every untouched line, comment and
// byte stays as it was; undefined wherever that cannot be done safely.
import { isMap, parseDocument, visit, YAMLMap, type Document, type Node } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { parseYaml, yamlError } from './store-yaml.js';
import { quickStore } from './quick-yaml.js';
import type { StoreEdit, StoredProfile } from './store-edit.js';

/**
 * The file is handled as latin1 so that every byte maps to one character and back: bytes
 * that are not UTF-8 survive, and yaml's offsets are byte offsets. New text goes in as UTF-8.
 */
export const toBytesText = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

export function deepLatin1<T>(value: T): T {
  if (typeof value === 'string') return toBytesText(value) as T;
  if (Array.isArray(value)) return value.map(deepLatin1) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [toBytesText(k), deepLatin1(v)])) as T;
  }
  return value;
}

export function parsed(file: string, text: string): Document {
  const { doc, error } = parseYaml(text);
  if (error) throw yamlError(file, error, text);
  if (doc.contents !== null && !isMap(doc.contents)) throw new ConfigError(`${printable(file)} is not a knock profile store (expected a mapping with a 'profiles' key)`);
  return doc;
}

/** A profile as YAML lines at `indent`: a block mapping with flow sequences, like the command line. */
function profileLines(name: string, profile: StoredProfile, indent: number, eol: string): string {
  const doc = parseDocument('{}');
  const node = doc.createNode({ [name]: deepLatin1(profile) });
  const inner = (node.items[0]?.value ?? null) as YAMLMap | null;
  for (const key of ['open', 'close']) {
    const seq = inner?.get(key, true) as { flow?: boolean } | undefined;
    if (seq) seq.flow = true;
  }
  doc.contents = node as never;
  const pad = ' '.repeat(indent);
  return doc
    .toString({ flowCollectionPadding: false })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => pad + line + eol)
    .join('');
}

interface Lines {
  starts: number[];
  text: string;
}

function lineStarts(text: string): Lines {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n' && i + 1 < text.length) starts.push(i + 1);
  return { starts, text };
}

const lineText = (l: Lines, i: number) => l.text.slice(l.starts[i], l.starts[i + 1] ?? l.text.length);
const indentOf = (line: string) => line.length - line.trimStart().length;
const isBlank = (line: string) => line.trim() === '';

/** The line index holding `offset` (a binary search: it is asked once per profile). */
function lineOf(l: Lines, offset: number): number {
  let low = 0;
  let high = l.starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (l.starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** [start, end) offsets of the lines of a block-mapping entry whose key starts on line `first`. */
function entrySpan(l: Lines, first: number): [number, number] {
  const keyIndent = indentOf(lineText(l, first));
  let last = first;
  for (let i = first + 1; i < l.starts.length; i++) {
    const line = lineText(l, i);
    if (isBlank(line)) continue;
    if (indentOf(line) <= keyIndent) break;
    last = i;
  }
  return [l.starts[first]!, l.starts[last + 1] ?? l.text.length];
}

/** Anchors defined inside `node` that an alias outside it uses: cutting it would dangle them. */
function anchorsUsedElsewhere(doc: Document, node: Node): boolean {
  const inside = new Set<string>();
  visit(node, {
    Node(_k, n) {
      if ('anchor' in n && n.anchor) inside.add(n.anchor);
    },
  });
  if (inside.size === 0) return false;
  let used = false;
  const [from, to] = [node.range?.[0] ?? 0, node.range?.[2] ?? 0];
  visit(doc, {
    Alias(_k, a) {
      const at = a.range?.[0] ?? -1;
      if (inside.has(a.source) && (at < from || at >= to)) used = true;
    },
  });
  return used;
}

function eolOf(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n';
}

/** Where the `profiles` mapping and its entries are; undefined where a splice is not safe. */
type Outline =
  | { kind: 'absent' }
  | { kind: 'empty'; keyOffset: number }
  | { kind: 'map'; items: { name: string; keyOffset: number; anchoredElsewhere: () => boolean }[] };

/** The outline from the quick reader (a store in knock's own plain shape), else from yaml's document. */
function outlineOf(file: string, text: string): Outline | undefined {
  const quick = quickStore(text);
  if (quick) {
    const at = (lineStart: number) => lineStart + indentOf(text.slice(lineStart, text.indexOf('\n', lineStart) >>> 0));
    if (!quick.profiles) return { kind: 'absent' };
    if (quick.value.profiles === null) return { kind: 'empty', keyOffset: at(quick.profiles.lineStart) };
    if (!quick.profiles.entries) return undefined;
    return { kind: 'map', items: quick.profiles.entries.map((e) => ({ name: e.name, keyOffset: at(e.lineStart), anchoredElsewhere: () => false })) };
  }
  const doc = parsed(file, text);
  const root = doc.contents as YAMLMap | null;
  if (root?.flow) return undefined;
  const pair = root?.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'profiles');
  const profiles = pair?.value;
  if (!pair) return { kind: 'absent' };
  if (profiles === null || profiles === undefined || (!isMap(profiles) && (profiles as { value?: unknown }).value === null)) {
    return { kind: 'empty', keyOffset: (pair.key as Node).range![0] };
  }
  if (!isMap(profiles) || profiles.flow) return undefined;
  const items: { name: string; keyOffset: number; anchoredElsewhere: () => boolean }[] = [];
  for (const item of profiles.items) {
    const key = item.key as Node & { value?: unknown };
    const offset = key.range?.[0];
    if (offset === undefined || typeof key.value !== 'string') return undefined;
    items.push({ name: key.value, keyOffset: offset, anchoredElsewhere: () => anchorsUsedElsewhere(doc, item.value as Node) });
  }
  return { kind: 'map', items };
}

/** The edit as cuts and insertions of whole lines; undefined where that is not safe. */
export function spliceYaml(file: string, text: string, edit: StoreEdit): string | undefined {
  const outline = outlineOf(file, text);
  if (!outline) return undefined;
  const eol = eolOf(text);
  const l = lineStarts(text);
  const removals = new Set((edit.remove ?? []).map(toBytesText));
  const sets = (edit.set ?? []).map(([name, profile]) => [toBytesText(name), name, profile] as const);
  const cuts: { from: number; to: number; text: string }[] = [];
  const ending = text === '' || text.endsWith('\n') ? '' : eol;
  if (outline.kind !== 'map') {
    if (removals.size > 0 && !sets.length) return text;
    const keyIndent = outline.kind === 'empty' ? indentOf(lineText(l, lineOf(l, outline.keyOffset))) : 0;
    const added = sets.map(([, name, profile]) => profileLines(name, profile, keyIndent + 2, eol)).join('');
    if (outline.kind === 'absent') return text + ending + 'profiles:' + eol + added;
    const keyLine = lineOf(l, outline.keyOffset);
    const at = l.starts[keyLine + 1] ?? text.length;
    return text.slice(0, at) + (at === text.length ? ending : '') + added + text.slice(at);
  }
  let indent = 2;
  let appendAt = text.length;
  const bySet = new Map(sets.map((s) => [s[0], s] as const));
  for (const item of outline.items) {
    const offset = item.keyOffset;
    const first = lineOf(l, offset);
    // The key must open its line: `a: b` at the line's own indentation.
    if (l.text.slice(l.starts[first], offset).trim() !== '') return undefined;
    indent = indentOf(lineText(l, first));
    const [from, to] = entrySpan(l, first);
    appendAt = to;
    const replacing = bySet.get(item.name);
    if (removals.has(item.name) || replacing) {
      if (item.anchoredElsewhere()) return undefined;
      cuts.push({ from, to, text: replacing && !removals.has(item.name) ? profileLines(replacing[1], replacing[2], indent, eol) : '' });
    }
  }
  const existing = new Set(outline.items.map((i) => i.name));
  const added = sets.filter(([n]) => !existing.has(n)).map(([, name, profile]) => profileLines(name, profile, indent, eol)).join('');
  const lastEnd = appendAt === text.length && !text.endsWith('\n') ? eol : '';
  if (added) cuts.push({ from: appendAt, to: appendAt, text: lastEnd + added });
  let out = text;
  for (const cut of cuts.sort((a, b) => b.from - a.from)) out = out.slice(0, cut.from) + cut.text + out.slice(cut.to);
  return out;
}


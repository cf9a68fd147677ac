// Store edits as cuts and insertions of whole lines, so that every untouched line, comment and
// byte stays as it was; undefined wherever that cannot be done safely.
import { isMap, parseDocument, visit, YAMLMap, type Document, type Node } from 'yaml';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { parseYaml, yamlError } from './store-yaml.js';
import { isQuickKey, quickStore, scalar, type QuickStore } from './quick-yaml.js';
import type { StoreEdit, StoredProfile } from './store-edit.js';
import { plainProfileLines } from './quick-write.js';

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

/**
 * A profile as YAML lines at `indent`: a block mapping with flow sequences, like the command
 * line; written directly where its values are plain words (quick-write.ts), else by yaml.
 */
function profileLines(name: string, profile: StoredProfile, indent: number, eol: string): string {
  const plain = plainProfileLines(name, profile, indent, eol);
  if (plain !== undefined) return plain;
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

const indentOf = (line: string) => line.length - line.trimStart().length;
const isBlank = (line: string) => line.trim() === '';

/** The offset of the line that holds `offset`. */
const lineStartOf = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;

/** The offset of the line after the one starting at `start` (the text's end after the last line). */
function nextLine(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  return nl < 0 ? text.length : nl + 1;
}

/**
 * [start, end) offsets of the lines of a block-mapping entry whose key opens the line at
 * `first`: it, and the lines after it that are blank or indented deeper. Only the lines of that
 * entry are read (and the one after it), so an edit reads the entries it cuts, not the file.
 */
function entrySpan(text: string, first: number): [number, number] {
  const keyIndent = indentOf(text.slice(first, nextLine(text, first)));
  let end = nextLine(text, first);
  for (let at = end; at < text.length; ) {
    const next = nextLine(text, at);
    const line = text.slice(at, next);
    if (!isBlank(line)) {
      if (indentOf(line) <= keyIndent) break;
      end = next;
    }
    at = next;
  }
  return [first, end];
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
function outlineOf(file: string, text: string, known?: QuickStore): Outline | undefined {
  const quick = known ?? quickStore(text);
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

/** Each group an edit changes, with its members after the edit (null: the group goes). */
export type GroupLists = [string, string[] | null][];

/**
 * The group changes as cuts of whole lines (`  name: [a, b]`), or undefined where that is not
 * plain: a name or member the quick reader would not read back, or a `groups:` without entries.
 */
function spliceGroups(text: string, quick: QuickStore, lists: GroupLists, eol: string): Cut[] | undefined {
  const line = (name: string, members: string[], indent: number) =>
    isQuickKey(name) && members.every((m) => scalar(m) === m) ? `${' '.repeat(indent)}${name}: [${members.join(', ')}]${eol}` : undefined;
  const outline = quick.groups;
  const ending = text === '' || text.endsWith('\n') ? '' : eol;
  if (!outline) {
    const lines = lists.filter(([, members]) => members !== null).map(([name, members]) => line(name, members!, 2));
    if (lines.length === 0) return [];
    if (lines.includes(undefined)) return undefined;
    return [{ from: text.length, to: text.length, text: ending + 'groups:' + eol + lines.join('') }];
  }
  const entries = outline.entries;
  if (!entries?.length) return undefined;
  const byName = new Map(entries.map((e) => [e.name, e] as const));
  const indent = indentOf(text.slice(entries[0]!.lineStart, nextLine(text, entries[0]!.lineStart)));
  const cuts: Cut[] = [];
  let left = entries.length;
  let added = '';
  for (const [name, members] of lists) {
    const entry = byName.get(name);
    const lines = members === null ? '' : line(name, members, indent);
    if (lines === undefined) return undefined;
    if (!entry) {
      added += lines;
      if (lines) left++;
      continue;
    }
    if (members === null) left--;
    const [from, to] = entrySpan(text, entry.lineStart);
    cuts.push({ from, to, text: lines });
  }
  // Every group gone: the `groups:` line goes too (comments between the groups stay).
  if (left === 0) cuts.push({ from: outline.lineStart, to: nextLine(text, outline.lineStart), text: '' });
  if (added) {
    const at = entrySpan(text, entries[entries.length - 1]!.lineStart)[1];
    cuts.push({ from: at, to: at, text: (at === text.length ? ending : '') + added });
  }
  return cuts;
}

/** Lines [from, to) of the old text replaced by `text` (new lines, or none). */
export interface Cut {
  from: number;
  to: number;
  text: string;
}

/**
 * The edit as cuts and insertions of whole lines; undefined where that is not safe. `quick`:
 * the quick reader's answer for `text` (its offsets are offsets in `text`), when known.
 */
export function spliceYaml(file: string, text: string, edit: StoreEdit, quick?: QuickStore): string | undefined {
  return spliceEdit(file, text, edit, quick)?.text;
}

/**
 * spliceYaml's result with, where the store has profiles to cut between, the cuts it made (in
 * the order of the text), so that a check can read only what changed (splice-check.ts).
 */
export function spliceEdit(file: string, text: string, edit: StoreEdit, quick?: QuickStore, groups?: GroupLists): { text: string; cuts?: Cut[] } | undefined {
  const outline = outlineOf(file, text, quick);
  if (!outline) return undefined;
  // Groups are spliced only beside profiles in the plain shape, where the quick reader has
  // the outline of both; elsewhere yaml's Document API edits them.
  const groupCuts = groups?.length ? (quick && outline.kind === 'map' ? spliceGroups(text, quick, groups, eolOf(text)) : undefined) : [];
  if (!groupCuts) return undefined;
  const eol = eolOf(text);
  const removals = new Set((edit.remove ?? []).map(toBytesText));
  const sets = (edit.set ?? []).map(([name, profile]) => [toBytesText(name), name, profile] as const);
  const cuts: { from: number; to: number; text: string }[] = [];
  const ending = text === '' || text.endsWith('\n') ? '' : eol;
  if (outline.kind !== 'map') {
    if (removals.size > 0 && !sets.length) return { text };
    const keyLine = outline.kind === 'empty' ? lineStartOf(text, outline.keyOffset) : 0;
    const keyIndent = outline.kind === 'empty' ? indentOf(text.slice(keyLine, nextLine(text, keyLine))) : 0;
    const added = sets.map(([, name, profile]) => profileLines(name, profile, keyIndent + 2, eol)).join('');
    if (outline.kind === 'absent') return { text: text + ending + 'profiles:' + eol + added };
    const at = nextLine(text, keyLine);
    return { text: text.slice(0, at) + (at === text.length ? ending : '') + added + text.slice(at) };
  }
  const bySet = new Map(sets.map((s) => [s[0], s] as const));
  // The key must open its line (`a: b` at the line's own indentation), every key: a line
  // shared with another node is not one this splice may cut.
  const firsts: number[] = [];
  for (const item of outline.items) {
    const first = lineStartOf(text, item.keyOffset);
    if (text.slice(first, item.keyOffset).trim() !== '') return undefined;
    firsts.push(first);
  }
  for (const [i, item] of outline.items.entries()) {
    const replacing = bySet.get(item.name);
    if (!removals.has(item.name) && !replacing) continue;
    if (item.anchoredElsewhere()) return undefined;
    const [from, to] = entrySpan(text, firsts[i]!);
    const indent = item.keyOffset - firsts[i]!;
    cuts.push({ from, to, text: replacing && !removals.has(item.name) ? profileLines(replacing[1], replacing[2], indent, eol) : '' });
  }
  // New profiles go after the last one, at its indentation.
  const last = firsts.length - 1;
  const indent = last >= 0 ? outline.items[last]!.keyOffset - firsts[last]! : 2;
  const appendAt = last >= 0 ? entrySpan(text, firsts[last]!)[1] : text.length;
  const existing = new Set(outline.items.map((i) => i.name));
  const added = sets.filter(([n]) => !existing.has(n)).map(([, name, profile]) => profileLines(name, profile, indent, eol)).join('');
  const lastEnd = appendAt === text.length && !text.endsWith('\n') ? eol : '';
  if (added) cuts.push({ from: appendAt, to: appendAt, text: lastEnd + added });
  // The groups' lines are after or before the profiles', never among them; at the text's end
  // the profiles' lines go first (the sort keeps that order).
  cuts.push(...groupCuts);
  // Cut and insertion at one place: the cut first, as the old text has them.
  cuts.sort((a, b) => a.from - b.from || b.to - a.to);
  const parts: string[] = [];
  let at = 0;
  for (const cut of cuts) {
    parts.push(text.slice(at, cut.from), cut.text);
    at = cut.to;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), cuts };
}


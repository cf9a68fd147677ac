// An edit of a store's bytes, checked in full: spliced line by line where that is safe
// (edit-splice.ts), else rewritten through yaml's Document API, and refused if neither gives
// exactly the profiles and groups asked for with every other one as it was.
import { isMap, visit, YAMLMap, type Node } from 'yaml';
import { isAscii } from 'node:buffer';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { parseStoreText } from './store-yaml.js';
import { deepLatin1, parsed, spliceEdit, toBytesText, type GroupLists } from './edit-splice.js';
import { readSplice } from './splice-check.js';
import type { StoreEdit } from './store-edit.js';
import { checkProfile, parseProfile, storeShape, type StoreShape } from './profiles.js';
import { quickStore, type QuickStore } from './quick-yaml.js';

export type { StoreEdit, StoredProfile } from './store-edit.js';

export function isJsonStore(file: string, text: string): boolean {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'json' || (!/\.[^/]*$/.test(file.split('/').pop() ?? '') && text.trimStart().startsWith('{'));
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A store's bytes as an edit reads them: the text (one character per byte), the quick reader's
 * answer where it takes the text, and the store's shape. Kept by whoever read the store before
 * taking the edit lock, so that an edit of the very same bytes reads them once.
 */
export interface EditReading {
  /** The name the bytes were read under: a store's kind (YAML, JSON, package.json) comes from it. */
  file: string;
  bytes: Buffer;
  /** The bytes after a UTF-8 byte order mark (an editor's), which an edit keeps as it was. */
  body: Buffer;
  text: string;
  quick?: QuickStore;
  shape: StoreShape;
}

/**
 * Reads a store's bytes for an edit: the store's shape checked (a mapping, its keys, its
 * groups), the profiles left as they are, broken ones too (remove fixes those). An ASCII file
 * is the same text as UTF-8 and as bytes: one quick reading gives its contents and the
 * splice's line offsets.
 */
export function readForEdit(file: string, bytes: Buffer): EditReading {
  const body = bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes;
  const text = body.toString('latin1');
  const quick = isAscii(body) && !isJsonStore(file, text) ? quickStore(text) : undefined;
  const shape = storeShape(parseStoreText(file, quick ? text : body.toString('utf8'), quick), file);
  return { file, bytes, body, text, ...(quick ? { quick } : {}), shape };
}

/**
 * Applies `edit` to a store's bytes and returns the new bytes, checked in full. `known`: a
 * reading made earlier, used only if it is of these very bytes under a name of the same kind
 * (else, another run having written meanwhile, the bytes are read again).
 */
export function editStoreBytes(file: string, bytes: Buffer, edit: StoreEdit, known?: EditReading): Buffer {
  const reading = known && path.basename(known.file) === path.basename(file) && known.bytes.equals(bytes) ? known : readForEdit(file, bytes);
  const out = editReading(file, reading, edit);
  return reading.body === reading.bytes ? out : Buffer.concat([BOM, out]);
}

function editReading(file: string, reading: EditReading, edit: StoreEdit): Buffer {
  const { body, text, quick } = reading;
  const { entries: before, groups: groupsBefore } = reading.shape;
  edit.check?.(new Set(Object.keys(before)));
  const groups = groupsAfter(groupsBefore, edit);
  for (const [name, profile] of edit.set ?? []) parseProfile(name, profile, file, path.dirname(file));
  const done = (out: Buffer, proven?: Record<string, unknown>) => editDidExactly(file, before, out, edit, groupsBefore, groups, quick !== undefined, proven);
  const splice = () => {
    const spliced = spliceEdit(file, text, edit, quick, groups);
    if (spliced === undefined) return undefined;
    const out = Buffer.from(spliced.text, 'latin1');
    // Where the quick reader read the store, only the lines the splice changed are read again.
    const proven = quick && spliced.cuts ? readSplice(body, text, quick, spliced.cuts, out) : undefined;
    return done(out, proven) ? out : undefined;
  };
  const rewrite = (make: () => string) => () => {
    const out = Buffer.from(make(), 'latin1');
    return done(out) ? out : undefined;
  };
  const yaml = [splice, rewrite(() => rewriteYaml(file, text, edit, groups))];
  const candidates = isJsonStore(file, text) ? [rewrite(() => editJson(file, text, edit, groups))] : yaml;
  for (const attempt of candidates) {
    const out = attempt();
    if (out !== undefined) return out;
  }
  throw new ConfigError(`${printable(file)}: this edit cannot be made safely here; edit the file by hand`);
}

/**
 * The new store holds what the edit asked for and every other profile exactly as before: its
 * contents (`proven` by splice-check.ts from the changed lines, else the new bytes read again
 * in full, one pass), its shape checked, and the profiles the edit set checked as a load would
 * check them; the others are compared with what they were, not validated again.
 */
function editDidExactly(file: string, before: Record<string, unknown>, out: Buffer, edit: StoreEdit, groupsBefore: ReadonlyMap<string, string[]> | undefined, groups: GroupLists | undefined, quickBefore: boolean, proven?: Record<string, unknown>): boolean {
  let shape: StoreShape;
  let quickAfter = proven !== undefined;
  try {
    let contents: unknown = proven;
    if (!proven) {
      const text = out.toString('utf8');
      const quick = quickBefore ? quickStore(text) : undefined;
      quickAfter = quick !== undefined;
      contents = parseStoreText(file, text, quick);
    }
    shape = storeShape(contents, file);
  } catch {
    return false;
  }
  const after = shape.entries;
  const expected = new Map(Object.entries(before));
  for (const name of edit.remove ?? []) expected.delete(name);
  for (const [name, profile] of edit.set ?? []) expected.set(name, JSON.parse(JSON.stringify(profile)));
  if (Object.keys(after).length !== expected.size) return false;
  // Proven from the changed lines: an untouched profile is the very value read before. Read
  // again in full by the quick reader, whose values are strings, integers, null, lists and
  // mappings, which JSON writes one way each: equal JSON (the same order, too) is equal
  // profiles, compared in one pass. Otherwise each profile is compared as yaml made it.
  const same = !proven && quickAfter && JSON.stringify(after) === JSON.stringify(Object.fromEntries(expected));
  if (!same) {
    for (const [name, value] of expected) {
      if (!Object.hasOwn(after, name)) return false;
      if (after[name] !== value && !isDeepStrictEqual(after[name], value)) return false;
    }
  }
  const where = printable(file);
  return (edit.set ?? []).every(([name]) => checkProfile(name, after[name], where, path.dirname(file)).profile !== undefined) && groupsDidExactly(groupsBefore, shape.groups, groups);
}

/** The edit's group changes applied to the groups as the store holds them now; undefined: none. */
function groupsAfter(current: ReadonlyMap<string, string[]> | undefined, edit: StoreEdit): GroupLists | undefined {
  if (!edit.groups?.length) return undefined;
  const lists = new Map<string, string[]>();
  for (const [name, change] of edit.groups) {
    const members = (lists.get(name) ?? current?.get(name) ?? []).filter((m) => !(change.remove ?? []).includes(m));
    for (const m of change.add ?? []) if (!members.includes(m)) members.push(m);
    lists.set(name, members);
  }
  return [...lists].map(([name, members]) => [name, members.length > 0 ? members : null]);
}

/** Every group the edit names holds exactly its new members (or is gone); every other group is as it was. */
function groupsDidExactly(before: ReadonlyMap<string, string[]> | undefined, after: ReadonlyMap<string, string[]> | undefined, groups: GroupLists | undefined): boolean {
  const expected = new Map(before ?? []);
  for (const [name, members] of groups ?? []) {
    if (members === null) expected.delete(name);
    else expected.set(name, members);
  }
  const got = after ?? new Map<string, string[]>();
  return got.size === expected.size && [...expected].every(([name, members]) => isDeepStrictEqual(got.get(name), members));
}

function editJson(file: string, text: string, edit: StoreEdit, lists: GroupLists | undefined): string {
  const root = (text.trim() === '' ? {} : parseStoreText(file, Buffer.from(text, 'latin1').toString('utf8'))) as Record<string, unknown>;
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`${printable(file)}: expected an object with a 'profiles' key`);
  const profiles = (root.profiles ?? {}) as Record<string, unknown>;
  for (const name of edit.remove ?? []) delete profiles[name];
  for (const [name, profile] of edit.set ?? []) profiles[name] = profile;
  root.profiles = profiles;
  if (lists) {
    const groups = (root.groups ?? {}) as Record<string, unknown>;
    for (const [name, members] of lists) {
      if (members === null) delete groups[name];
      else groups[name] = members;
    }
    if (Object.keys(groups).length > 0) root.groups = groups;
    else delete root.groups;
  }
  return toBytesText(JSON.stringify(root, null, 2) + '\n');
}

/**
 * The edit through yaml's Document API: comments and order survive, the layout may not. An
 * alias into a profile that goes is replaced by the value it stood for.
 */
function rewriteYaml(file: string, text: string, edit: StoreEdit, lists: GroupLists | undefined): string {
  const doc = parsed(file, text);
  const touched = [...(edit.remove ?? []), ...(edit.set ?? []).map(([n]) => n)].map(toBytesText);
  for (const name of touched) {
    const node = doc.getIn(['profiles', name], true) as Node | undefined;
    if (!node) continue;
    const anchors = new Set<string>();
    visit(node, {
      Node(_k, n) {
        if ('anchor' in n && n.anchor) anchors.add(n.anchor);
      },
    });
    visit(doc, {
      Alias(_k, a) {
        if (!anchors.has(a.source)) return undefined;
        const target = a.resolve(doc);
        return target ? doc.createNode(target.toJS(doc)) : undefined;
      },
    });
  }
  if (!isMap(doc.get('profiles', true))) doc.set('profiles', new YAMLMap());
  for (const name of edit.remove ?? []) doc.deleteIn(['profiles', toBytesText(name)]);
  for (const [name, profile] of edit.set ?? []) {
    const node = doc.createNode(deepLatin1(profile)) as YAMLMap;
    for (const key of ['open', 'close']) {
      const seq = node.get(key, true) as { flow?: boolean } | undefined;
      if (seq) seq.flow = true;
    }
    doc.setIn(['profiles', toBytesText(name)], node);
  }
  for (const [name, members] of lists ?? []) {
    if (members === null) {
      doc.deleteIn(['groups', toBytesText(name)]);
      continue;
    }
    if (!isMap(doc.get('groups', true))) doc.set('groups', new YAMLMap());
    const node = doc.createNode(members.map(toBytesText)) as { flow?: boolean };
    node.flow = true;
    doc.setIn(['groups', toBytesText(name)], node);
  }
  const groups = doc.get('groups', true);
  if (lists && isMap(groups) && groups.items.length === 0) doc.delete('groups');
  return doc.toString({ flowCollectionPadding: false });
}

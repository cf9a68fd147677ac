// An edit of a store's bytes, checked in full: spliced line by line where that is safe
// (edit-splice.ts), else rewritten through yaml's Document API, and refused if neither gives
// exactly the profiles asked for with every other one as it was.
import { isMap, visit, YAMLMap, type Node } from 'yaml';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { parseStoreText } from './load.js';
import { deepLatin1, parsed, spliceYaml, toBytesText } from './edit-splice.js';
import type { StoreEdit } from './store-edit.js';
import { parseProfile, parseStore } from './profiles.js';

export type { StoreEdit, StoredProfile } from './store-edit.js';

export function isJsonStore(file: string, text: string): boolean {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'json' || (!/\.[^/]*$/.test(file.split('/').pop() ?? '') && text.trimStart().startsWith('{'));
}

/** The `profiles` mapping of a store's parsed contents, as plain data (names -> raw values). */
function rawProfiles(value: unknown): Record<string, unknown> {
  const profiles = (value as { profiles?: unknown } | undefined)?.profiles;
  return profiles && typeof profiles === 'object' ? (profiles as Record<string, unknown>) : {};
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Applies `edit` to a store's bytes and returns the new bytes, checked in full. */
export function editStoreBytes(file: string, bytes: Buffer, edit: StoreEdit): Buffer {
  // A UTF-8 byte order mark (an editor's) is kept as it was, and the text after it edited.
  if (bytes.subarray(0, 3).equals(BOM)) return Buffer.concat([BOM, editWithoutBom(file, bytes.subarray(3), edit)]);
  return editWithoutBom(file, bytes, edit);
}

function editWithoutBom(file: string, bytes: Buffer, edit: StoreEdit): Buffer {
  // Parsed once (a 1 MiB store costs a second or so to parse): for the profiles before and for
  // the store as a whole, which must be a store; profiles in it may be broken (remove fixes that).
  const contents = parseStoreText(file, bytes.toString('utf8'));
  const before = rawProfiles(contents);
  parseStore(contents, file);
  edit.check?.(new Set(Object.keys(before)));
  for (const [name, profile] of edit.set ?? []) parseProfile(name, profile, file, path.dirname(file));
  const text = bytes.toString('latin1');
  const candidates = isJsonStore(file, text) ? [() => editJson(file, text, edit)] : [() => spliceYaml(file, text, edit), () => rewriteYaml(file, text, edit)];
  for (const attempt of candidates) {
    const next = attempt();
    if (next === undefined) continue;
    const out = Buffer.from(next, 'latin1');
    if (editDidExactly(file, before, out, edit)) return out;
  }
  throw new ConfigError(`${printable(file)}: this edit cannot be made safely here; edit the file by hand`);
}

/** The new store holds what the edit asked for and every other profile exactly as before. */
function editDidExactly(file: string, before: Record<string, unknown>, out: Buffer, edit: StoreEdit): boolean {
  let contents: unknown;
  try {
    contents = parseStoreText(file, out.toString('utf8'));
  } catch {
    return false;
  }
  const after = rawProfiles(contents);
  const expected = new Map(Object.entries(before));
  for (const name of edit.remove ?? []) expected.delete(name);
  for (const [name, profile] of edit.set ?? []) expected.set(name, JSON.parse(JSON.stringify(profile)));
  if (Object.keys(after).length !== expected.size) return false;
  for (const [name, value] of expected) {
    if (!(name in after) || !isDeepStrictEqual(after[name], value)) return false;
  }
  const store = parseStore(contents, file);
  return (edit.set ?? []).every(([name]) => store.profiles.has(name));
}

function editJson(file: string, text: string, edit: StoreEdit): string {
  const root = (text.trim() === '' ? {} : parseStoreText(file, Buffer.from(text, 'latin1').toString('utf8'))) as Record<string, unknown>;
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`${printable(file)}: expected an object with a 'profiles' key`);
  const profiles = (root.profiles ?? {}) as Record<string, unknown>;
  for (const name of edit.remove ?? []) delete profiles[name];
  for (const [name, profile] of edit.set ?? []) profiles[name] = profile;
  root.profiles = profiles;
  return toBytesText(JSON.stringify(root, null, 2) + '\n');
}

/**
 * The edit through yaml's Document API: comments and order survive, the layout may not. An
 * alias into a profile that goes is replaced by the value it stood for.
 */
function rewriteYaml(file: string, text: string, edit: StoreEdit): string {
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
  return doc.toString({ flowCollectionPadding: false });
}

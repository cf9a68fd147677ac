// Edits the user's profile store in place: YAML through yaml's Document API (comments and
// order survive), JSON as JSON. Every write goes to a temp file in the same directory and
// is renamed over the store, so a failed write leaves the old file whole.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, parseDocument, type Document } from 'yaml';
import { yamlError } from './load.js';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { parseStore } from './profiles.js';

/** A profile as it is written to the store: tokens, and only the keys the user gave. */
export interface StoredProfile {
  host?: string;
  port?: number;
  /** Absent when one_time_sequences gives the open sequences. */
  open?: (number | string)[];
  close?: (number | string)[];
  one_time_sequences?: string;
  delay?: number;
  seq_timeout?: number;
  description?: string;
}

/** The file system calls the writer makes, replaceable so tests can fail a write. */
export interface StoreFs {
  readFile(file: string): Promise<string>;
  writeFile(file: string, text: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  mode(file: string): Promise<number | undefined>;
}

export const nodeStoreFs: StoreFs = {
  readFile: (file) => fs.readFile(file, 'utf8'),
  async writeFile(file, text, mode) {
    // 'wx': the temp name is fresh; never follow someone else's file.
    const handle = await fs.open(file, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open() applies the umask; the store must keep exactly its mode.
    await fs.chmod(file, mode);
  },
  rename: (from, to) => fs.rename(from, to),
  unlink: (file) => fs.unlink(file),
  mkdir: async (dir) => {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  },
  async mode(file) {
    try {
      return (await fs.stat(file)).mode & 0o7777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
};

/** Sequences are secrets: a new store is readable by its owner only. */
export const NEW_STORE_MODE = 0o600;

/** What an edit does to the store's profiles, given the names already there. */
export interface StoreEdit {
  /** Profiles to add or replace, in order. */
  set?: [string, StoredProfile][];
  /** Names to delete. */
  remove?: string[];
}

export function isJsonStore(file: string, text: string): boolean {
  return path.extname(file).toLowerCase() === '.json' || (path.extname(file) === '' && text.trimStart().startsWith('{'));
}

/** Applies `edit` to the text of a store and returns the new text (validated in full). */
export function editStoreText(file: string, text: string, edit: StoreEdit): string {
  const next = isJsonStore(file, text) ? editJson(file, text, edit) : editYaml(file, text, edit);
  // The same parser as loading: what we write, knock can read.
  const parsed = isJsonStore(file, next) ? JSON.parse(next) : parseDocument(next).toJS();
  parseStore(parsed, file);
  return next;
}

function editJson(file: string, text: string, edit: StoreEdit): string {
  let root: Record<string, unknown>;
  try {
    root = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch (error) {
    throw new ConfigError(`${file}: does not parse as JSON: ${reasonOf(error)}`);
  }
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`${file}: expected an object with a 'profiles' key`);
  const profiles = (root.profiles ?? {}) as Record<string, unknown>;
  for (const name of edit.remove ?? []) delete profiles[name];
  for (const [name, profile] of edit.set ?? []) profiles[name] = profile;
  root.profiles = profiles;
  return JSON.stringify(root, null, 2) + '\n';
}

function editYaml(file: string, text: string, edit: StoreEdit): string {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) throw yamlError(file, error);
  if (doc.contents !== null && !isMap(doc.contents)) throw new ConfigError(`${file}: expected a mapping with a 'profiles' key`);
  for (const name of edit.remove ?? []) doc.deleteIn(['profiles', name]);
  for (const [name, profile] of edit.set ?? []) doc.setIn(['profiles', name], profileNode(doc, profile));
  return doc.toString({ flowCollectionPadding: false });
}

/** A block mapping with flow sequences: `open: [7000, 8000:udp]` reads like the command line. */
function profileNode(doc: Document, profile: StoredProfile) {
  const node = doc.createNode(profile);
  for (const key of ['open', 'close']) {
    const seq = node.get(key, true) as { flow?: boolean } | undefined;
    if (seq) seq.flow = true;
  }
  return node;
}

/**
 * Reads `file` (absent: an empty store), applies the edit and replaces the file atomically.
 * A new file (and its directory) is created readable by the owner only.
 */
export async function writeStore(given: string, edit: StoreEdit, fsx: StoreFs = nodeStoreFs): Promise<void> {
  // A symlinked store (dotfiles repos do that) is edited where it lives; rename would replace the link.
  const file = await fs.realpath(given).catch(() => given);
  const mode = await fsx.mode(file).catch((error: unknown) => {
    throw new ConfigError(`${file}: cannot stat: ${reasonOf(error)}`);
  });
  let text = '';
  if (mode !== undefined) {
    try {
      text = await fsx.readFile(file);
    } catch (error) {
      throw new ConfigError(`${file}: cannot read: ${reasonOf(error)}`);
    }
  }
  const next = editStoreText(file, text, edit);
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fsx.mkdir(dir);
    await fsx.writeFile(temp, next, mode ?? NEW_STORE_MODE);
    await fsx.rename(temp, file);
  } catch (error) {
    await fsx.unlink(temp).catch(() => {});
    throw new ConfigError(`${file}: cannot write (the store is unchanged): ${reasonOf(error)}`);
  }
}

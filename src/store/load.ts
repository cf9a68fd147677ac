// Finds and reads the profile store: --config, then $KNOCK_CONFIG, then
// $XDG_CONFIG_HOME/knock/config{,.json,.yaml,.yml}. There is no search from the working
// directory: a file of secrets picked by where you stand is what a planted store exploits.
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../shared/errors.js';
import type { Io } from '../shared/io.js';
import { printable } from '../shared/printable.js';
import { parseStore, type ProfileStore } from './profiles.js';
import { MODULE_NAME, storeContents } from './store-text.js';
import { readStoreBytes } from './read-store.js';
import type { Trust } from '../files/guard.js';

/** The XDG directory's file names, in the order they are tried. */
const XDG_PLACES = ['config', 'config.json', 'config.yaml', 'config.yml'];

/** The file named by --config or $KNOCK_CONFIG, if any. */
export function explicitStorePath(configOption: string | undefined, io: Pick<Io, 'env' | 'cwd'>): string | undefined {
  const given = configOption ?? (io.env.KNOCK_CONFIG || undefined);
  return given === undefined ? undefined : path.resolve(io.cwd, given);
}

/** Where `knock add` creates a store when none exists: $XDG_CONFIG_HOME/knock/config.yaml. */
export function defaultStorePath(io: Pick<Io, 'env' | 'homedir'>): string {
  const base = io.env.XDG_CONFIG_HOME || path.join(io.homedir, '.config');
  return path.join(base, MODULE_NAME, 'config.yaml');
}

export interface FoundStore {
  /** The path the store was found at (as given; symlinks not resolved). */
  file?: string;
  config: unknown;
}

/** The store's path (as given; symlinks not resolved) and bytes, or {} when none is found. */
export async function findStoreBytes(configOption: string | undefined, io: Io, trust: Trust = { uid: io.uid, home: io.homedir }): Promise<{ file?: string; bytes?: Buffer }> {
  const explicit = explicitStorePath(configOption, io);
  if (explicit) {
    const read = await readStoreBytes(explicit, trust);
    if (!read) {
      const source = configOption !== undefined ? '--config' : 'KNOCK_CONFIG';
      throw new ConfigError(`config file not found: ${printable(explicit)} (from ${source})`);
    }
    return { file: explicit, bytes: read.bytes };
  }
  const dir = path.dirname(defaultStorePath(io));
  for (const place of XDG_PLACES) {
    const file = path.join(dir, place);
    // A name with nothing at it is passed over with one lstat; what is there is read through
    // the trusted open, every rule of it (a dangling link there is refused by it).
    if (!there(file)) continue;
    const read = await readStoreBytes(file, trust);
    if (read) return { file, bytes: read.bytes };
  }
  return {};
}

/** Whether lstat finds something at `file`; where it fails otherwise (EACCES, ENOTDIR), the trusted open says why. */
function there(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

export async function findStoreFile(configOption: string | undefined, io: Io, trust?: Trust): Promise<FoundStore> {
  const { file, bytes } = await findStoreBytes(configOption, io, trust);
  if (file === undefined || bytes === undefined) return { config: undefined };
  return { file, config: await readContents(file, bytes.toString('utf8')) };
}

/** A store's contents: knock's own plain shape read at once; anything else by yaml, loaded only then. */
async function readContents(file: string, text: string): Promise<unknown> {
  let plain = true;
  const value = storeContents(file, text, () => {
    plain = false;
    return undefined;
  });
  return plain ? value : (await import('./store-yaml.js')).parseStoreText(file, text);
}

export async function loadStore(configOption: string | undefined, io: Io, trust?: Trust): Promise<ProfileStore> {
  const { file, config } = await findStoreFile(configOption, io, trust);
  return parseStore(config, file);
}

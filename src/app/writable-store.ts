// Which file `add`, `remove` and `import` edit: --config / $KNOCK_CONFIG (created if absent),
// else the store knock found, else $XDG_CONFIG_HOME/knock/config.yaml. An edit reads the store
// for its names and groups only: the profiles it does not write are neither validated nor
// warned about (list, show and lint name a broken one), and the reading goes down to the edit,
// which reuses it if the bytes under the edit lock are the same.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultStorePath, explicitStorePath, findStoreBytes } from '../store/load.js';
import type { Context } from './context.js';
import { ConfigError } from '../shared/errors.js';
import { parseProfile, type Profile } from '../store/profiles.js';
import { storePermissionWarning } from '../store/permissions.js';
import { readForEdit, writeStore, type EditReading, type StoreEdit, type StoredProfile } from '../store/write.js';

export interface WritableStore {
  file: string;
  /** Whether the file exists (false: the edit creates it). */
  found: boolean;
  /** Every profile name the store has, broken profiles' too. */
  names: ReadonlySet<string>;
  /** `groups:` name -> member profile names, in order. */
  groups?: ReadonlyMap<string, string[]>;
  /** The store's bytes as read now, for the edit. */
  reading?: EditReading;
}

export async function writableStore(ctx: Context): Promise<WritableStore> {
  const explicit = explicitStorePath(ctx.args.config, ctx.io);
  if (explicit && !existsSync(explicit)) return { file: explicit, found: false, names: new Set() };
  const { file: found, bytes } = await findStoreBytes(ctx.args.config, ctx.io, ctx.trust);
  const file = found ?? defaultStorePath(ctx.io);
  if (path.basename(file) === 'package.json') {
    throw new ConfigError(`${file}: profiles in package.json's "knock" key are edited by hand (or use --config FILE)`);
  }
  if (found === undefined || bytes === undefined) return { file, found: false, names: new Set() };
  const warning = storePermissionWarning(file, ctx.io.platform);
  if (warning) ctx.warn(warning);
  const reading = readForEdit(file, bytes);
  const { entries, groups } = reading.shape;
  return { file, found: true, names: new Set(Object.keys(entries)), ...(groups ? { groups } : {}), reading };
}

/** Checks a profile with the loader's own parser before it is written. */
export function checkStoredProfile(name: string, profile: StoredProfile, file: string): Profile {
  return parseProfile(name, profile, file, path.dirname(file));
}

/** Edits the store under its edit lock, trusting what the Context trusts. */
export function editStore(ctx: Context, store: WritableStore, edit: StoreEdit): Promise<void> {
  return writeStore(store.file, edit, { trust: ctx.trust, holder: ctx.holder, ...(store.reading ? { known: store.reading } : {}) });
}

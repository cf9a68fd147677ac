// Which file `add`, `remove` and `import` edit: --config / $KNOCK_CONFIG (created if absent),
// else the store knock found, else $XDG_CONFIG_HOME/knock/config.yaml.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultStorePath, explicitStorePath } from '../store/load.js';
import type { Context } from './context.js';
import { ConfigError } from '../shared/errors.js';
import { parseProfile, type Profile, type ProfileStore } from '../store/profiles.js';
import { writeStore, type StoreEdit, type StoredProfile } from '../store/write.js';

export interface WritableStore {
  file: string;
  /** The profiles already there (empty for a file that does not exist yet). */
  store: ProfileStore;
}

export async function writableStore(ctx: Context, about?: string): Promise<WritableStore> {
  const explicit = explicitStorePath(ctx.args.config, ctx.io);
  if (explicit && !existsSync(explicit)) return { file: explicit, store: { file: explicit, profiles: new Map() } };
  const store = await ctx.store(about);
  const file = store.file ?? defaultStorePath(ctx.io);
  if (path.basename(file) === 'package.json') {
    throw new ConfigError(`${file}: profiles in package.json's "knock" key are edited by hand (or use --config FILE)`);
  }
  return { file, store };
}

/** Checks a profile with the loader's own parser before it is written. */
export function checkStoredProfile(name: string, profile: StoredProfile, file: string): Profile {
  return parseProfile(name, profile, file, path.dirname(file));
}

/** Edits the store under its edit lock, trusting what the Context trusts. */
export function editStore(ctx: Context, file: string, edit: StoreEdit): Promise<void> {
  return writeStore(file, edit, { trust: ctx.trust, holder: ctx.holder });
}

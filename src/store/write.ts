// Edits the user's profile store in place, one edit at a time (the store-edit lock), each read
// fresh under the lock, written to a temp file in the same directory, fsynced and renamed over
// the store, then the directory fsynced: a crash leaves the old file or the new one, whole.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { processAlive, withStoreEditLock, type EditLockOptions } from './edit-lock.js';
import { editStoreBytes, type StoreEdit } from './edit-text.js';
import { readStoreBytes } from './read-store.js';
import { checkStorePath, processTrust, type TrustOptions } from './trust.js';

export { editStoreBytes, isJsonStore, type StoreEdit, type StoredProfile } from './edit-text.js';

/** The file system calls the writer makes, replaceable so tests can fail a write. */
export interface StoreFs {
  writeFile(file: string, bytes: Buffer, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  syncDir(dir: string): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  async writeFile(file, bytes, mode) {
    // 'wx': the temp name is fresh; never follow someone else's file.
    const handle = await fs.open(file, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      // open() applies the umask; the store must keep exactly its mode.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  unlink: (file) => fs.unlink(file),
  mkdir: async (dir) => {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  },
  async syncDir(dir) {
    // The rename is durable only once the directory is: a crash could otherwise bring back the old store.
    const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Sequences are secrets: a new store is readable by its owner only. */
export const NEW_STORE_MODE = 0o600;

/** Applies `edit` to a store's text (tests and import's dry run use it). */
export function editStoreText(file: string, text: string, edit: StoreEdit): string {
  return editStoreBytes(file, Buffer.from(text, 'utf8'), edit).toString('utf8');
}

/** Where a store path leads: a symlinked store (dotfiles repos) is edited where it lives. */
async function targetOf(given: string): Promise<string> {
  try {
    return await fs.realpath(given);
  } catch {
    const link = await fs.readlink(given).catch(() => undefined);
    if (link !== undefined) throw new ConfigError(`${printable(given)} is a symlink to ${printable(link)}, which does not exist: create it or point the link elsewhere`);
    return path.resolve(given);
  }
}

/**
 * Temp files that a killed edit left beside the store. Under the edit lock no live edit has
 * one, except one whose lock was broken as stale: its pid still runs, so its file stays.
 */
async function removeDeadTemps(dir: string, base: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`.${base}.`)) continue;
    const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(base.length + 1));
    if (m && !processAlive(Number(m[1]))) await fs.unlink(path.join(dir, name)).catch(() => {});
  }
}

export interface WriteOptions {
  fs?: StoreFs;
  trust?: TrustOptions;
  lock?: EditLockOptions;
}

/**
 * Reads `file` (absent: an empty store), applies the edit and replaces the file atomically,
 * under the store-edit lock. A new file (and its directory) is created readable by the owner only.
 */
export async function writeStore(given: string, edit: StoreEdit, options: WriteOptions = {}): Promise<void> {
  const fsx = options.fs ?? nodeStoreFs;
  const trust = options.trust ?? processTrust(process.env.HOME ?? '/');
  const file = await targetOf(given);
  const dir = path.dirname(file);
  try {
    await fsx.mkdir(dir);
  } catch (error) {
    throw new ConfigError(`${printable(dir)}: cannot create: ${reasonOf(error)}`);
  }
  // Never write where someone else could swap the file, nor into a file they own or can change.
  await checkStorePath(given, file, trust);
  await withStoreEditLock(
    file,
    async () => {
      await removeDeadTemps(dir, path.basename(file));
      const read = await readStoreBytes(file, trust);
      const next = editStoreBytes(file, read?.bytes ?? Buffer.alloc(0), edit);
      const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await fsx.writeFile(temp, next, read?.mode ?? NEW_STORE_MODE);
        await fsx.rename(temp, file);
      } catch (error) {
        await fsx.unlink(temp).catch(() => {});
        throw new ConfigError(`${printable(file)}: cannot write (the store is unchanged): ${reasonOf(error)}`);
      }
      await fsx.syncDir(dir).catch(() => {});
    },
    options.lock,
  );
}

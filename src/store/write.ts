// Edits the user's profile store in place, one edit at a time (the store-edit lock), each read
// fresh under the lock and written back by the atomic replace (files/replace.ts): a crash leaves
// the old file or the new one, whole.
import path from 'node:path';
import { ConfigError, KnockError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { resolveGuarded, checkDirectories, STORE_RULES, MAX_STORE_BYTES, type Trust } from '../files/guard.js';
import { nodeReplaceFs, removeDeadTemps, replaceFile, type ReplaceFs } from '../files/replace.js';
import { withStoreEditLock, type EditLockOptions } from './edit-lock.js';
import type { LockHolder } from '../files/lock.js';
import { editStoreBytes, type EditReading, type StoreEdit } from './edit-text.js';
import { readStoreBytes } from './read-store.js';

export { editStoreBytes, isJsonStore, readForEdit, type EditReading, type StoreEdit, type StoredProfile } from './edit-text.js';

/** The file system calls the writer makes, replaceable so tests can fail a write. */
export type StoreFs = ReplaceFs;
export const nodeStoreFs: StoreFs = nodeReplaceFs;

/** Sequences are secrets: a new store is readable by its owner only. */
export const NEW_STORE_MODE = 0o600;

/** Applies `edit` to a store's text (tests and import's dry run use it). */
export function editStoreText(file: string, text: string, edit: StoreEdit): string {
  return editStoreBytes(file, Buffer.from(text, 'utf8'), edit).toString('utf8');
}

export interface WriteOptions {
  fs?: StoreFs;
  /** Whose files are trusted (the Context's). */
  trust: Trust;
  /** Who takes the edit lock and writes the temporary file (the Context's). */
  holder: LockHolder;
  lock?: EditLockOptions;
  /** The bound the store is read with (tests make it small). */
  maxBytes?: number;
  /**
   * The store as read before the lock was taken: the edit reuses that reading if the bytes
   * under the lock are the same, and reads them again if another run wrote meanwhile.
   */
  known?: EditReading;
}

/**
 * Reads `file` (absent: an empty store), applies the edit and replaces the file atomically,
 * under the store-edit lock. A new file (and its directory) is created readable by the owner only.
 * A symlinked store (dotfiles repos) is edited where it lives, if the link is to be trusted.
 */
export async function writeStore(given: string, edit: StoreEdit, options: WriteOptions): Promise<void> {
  const fsx = options.fs ?? nodeStoreFs;
  const { trust, holder } = options;
  // Never write where someone else could swap the file, nor through their link.
  const file = (await resolveGuarded(given, trust, STORE_RULES)).real;
  const dir = path.dirname(file);
  try {
    await fsx.mkdir(dir);
  } catch (error) {
    throw new ConfigError(`${printable(dir)}: cannot create: ${reasonOf(error)}`);
  }
  await checkDirectories(file, trust, STORE_RULES);
  await withStoreEditLock(
    file,
    async () => {
      await removeDeadTemps(file);
      const read = await readStoreBytes(file, trust);
      const next = editStoreBytes(file, read?.bytes ?? Buffer.alloc(0), edit, options.known);
      try {
        await replaceFile(file, next, { mode: read?.mode ?? NEW_STORE_MODE, maxBytes: options.maxBytes ?? MAX_STORE_BYTES, fs: fsx, pid: holder.pid });
      } catch (error) {
        if (error instanceof KnockError) throw error;
        throw new ConfigError(`${printable(file)}: cannot write (the store is unchanged): ${reasonOf(error)}`);
      }
    },
    { uid: trust.uid, ...options.lock, ...holder },
  );
}

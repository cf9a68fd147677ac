// The store-edit lock: one `knock add/remove/import` at a time per store file, through the lock
// file beside it (files/lock.ts), so concurrent edits never lose a profile.
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { withLockFile, type LockHolder, type LockOptions } from '../files/lock.js';

export { processAlive } from '../files/lock.js';

/** An edit takes milliseconds: a lock older than 30 s was left by a killed process. */
export type EditLockOptions = LockOptions;

export const lockPathOf = (storeFile: string) => `${storeFile}.edit-lock`;

/** Runs `edit` holding the store's edit lock; the lock goes when it ends, however it ends. */
export function withStoreEditLock<T>(storeFile: string, edit: () => Promise<T>, options: EditLockOptions & LockHolder): Promise<T> {
  const lock = lockPathOf(storeFile);
  const busy = (pid: number | undefined) =>
    new ConfigError(
      `${printable(storeFile)} is being edited by ${pid ? `process ${pid}` : 'another knock'} (lock ${printable(lock)}); try again, or remove the lock if no knock is running`,
    );
  return withLockFile(lock, { busy }, edit, { waitMs: 10_000, staleMs: 30_000, ...options });
}

// The store-edit lock: one `knock add/remove/import` at a time per store file, through an
// O_EXCL lock file beside it, so concurrent edits never lose a profile.
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';

export interface EditLockOptions {
  /** How long to wait for another edit, ms. */
  waitMs?: number;
  /** A lock older than this is stale whoever holds it: an edit takes milliseconds. */
  staleMs?: number;
  /** Whether a process still runs (signal 0). */
  alive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

export const lockPathOf = (storeFile: string) => `${storeFile}.edit-lock`;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Holder {
  pid?: number;
  host?: string;
  ino: number;
  ageMs: number;
}

async function readHolder(lock: string): Promise<Holder | undefined> {
  try {
    const [text, st] = await Promise.all([fs.readFile(lock, 'utf8'), fs.stat(lock)]);
    const [pid, host] = text.split('\n');
    const holder: Holder = { ino: st.ino, ageMs: Date.now() - st.mtimeMs };
    if (pid && /^\d+$/.test(pid)) holder.pid = Number(pid);
    if (host) holder.host = host;
    return holder;
  } catch {
    return undefined; // released meanwhile
  }
}

function isStale(holder: Holder, staleMs: number, alive: (pid: number) => boolean): boolean {
  if (holder.ageMs > staleMs) return true;
  // The pid means something only on this host; an empty lock is one being written.
  return holder.pid !== undefined && holder.host === os.hostname() && !alive(holder.pid);
}

/**
 * Breaks a stale lock without breaking a fresh one that replaced it meanwhile: the lock is
 * renamed aside first, and put back if it turns out to be another lock than the stale one.
 */
async function breakStale(lock: string, stale: Holder): Promise<void> {
  const aside = `${lock}.stale.${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lock, aside);
  } catch {
    return; // someone else broke or released it
  }
  const st = await fs.stat(aside).catch(() => undefined);
  if (st && st.ino !== stale.ino) {
    await fs.link(aside, lock).catch(() => {});
  }
  await fs.unlink(aside).catch(() => {});
}

/** Runs `edit` holding the store's edit lock; the lock goes when it ends, however it ends. */
export async function withStoreEditLock<T>(storeFile: string, edit: () => Promise<T>, options: EditLockOptions = {}): Promise<T> {
  const lock = lockPathOf(storeFile);
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const alive = options.alive ?? processAlive;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let handle: fs.FileHandle | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      handle = await fs.open(lock, 'wx', 0o600);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(`${printable(lock)}: cannot create the edit lock: ${reasonOf(error)}`);
      }
    }
    const holder = await readHolder(lock);
    if (holder && isStale(holder, staleMs, alive)) {
      await breakStale(lock, holder);
      continue;
    }
    if (Date.now() - started > waitMs) {
      const who = holder?.pid ? `process ${holder.pid}` : 'another knock';
      throw new ConfigError(
        `${printable(storeFile)} is being edited by ${who} (lock ${printable(lock)}); try again, or remove the lock if no knock is running`,
      );
    }
    await sleep(Math.min(5 + attempt * 5, 50) + Math.random() * 10);
  }
  const mine = await handle.stat();
  try {
    await handle.writeFile(`${process.pid}\n${os.hostname()}\n`);
  } finally {
    await handle.close();
  }
  try {
    return await edit();
  } finally {
    // Only our own lock: if ours was broken as stale, the file there now is someone else's.
    const st = await fs.stat(lock).catch(() => undefined);
    if (st && st.ino === mine.ino) await fs.unlink(lock).catch(() => {});
  }
}

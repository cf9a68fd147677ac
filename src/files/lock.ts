// The exclusive lock file beside a file knock edits (a store's STORE.edit-lock, a one-time list's
// FILE.lock): created O_CREAT|O_EXCL|O_NOFOLLOW, so whatever is already at the path (a FIFO, a
// symlink to /dev/zero, a directory someone planted) is never opened for writing or followed;
// what is there is only lstat'ed, and read (non-blocking, at most a few bytes) when it is a
// regular file of ours. A lock is stale when its process is gone (same host) or it is older than
// staleMs; a stale lock is renamed aside first (only one breaker can rename a given inode), then
// removed only if it is still the inode that was judged stale.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { fs, type FileHandle } from './fs-calls.js';
import { ConfigError, KnockError, RuntimeError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { kindOf } from './guard.js';

export interface LockOptions {
  /** How long to wait for another holder, ms. */
  waitMs?: number;
  /** A lock older than this is stale whoever holds it. */
  staleMs?: number;
  /** Whether a process still runs (signal 0). */
  alive?: (pid: number) => boolean;
  /** The pause between tries, and the clock the wait is measured on (ms; tests give a fake one). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Our uid: a lock file of another user is refused, never broken (undefined: no uids). */
  uid?: number | undefined;
}

/** Who takes a lock (shared/io.ts reads both): written into it, and read back to judge it stale. */
export interface LockHolder {
  /** Our pid. */
  pid: number;
  /** This host's name: a pid means something only on the host that wrote it. */
  hostname: string;
}

/** What the caller's messages say: who waits for what. */
export interface LockWords {
  /** The error when the wait ends (the holder's pid, when known). */
  busy: (holderPid: number | undefined, waitedMs: number) => KnockError;
}

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

/** The most a lock file holds ("pid\nhost\n"); more is not a lock of ours. */
const MAX_LOCK_BYTES = 512;

async function readHolder(lock: string, uid: number | undefined): Promise<Holder | undefined> {
  let st;
  try {
    st = await fs.lstat(lock);
  } catch {
    return undefined; // released meanwhile
  }
  if (!st.isFile()) {
    throw new ConfigError(`${printable(lock)} is ${kindOf(st)}, not a lock file knock made (someone planted it?): remove it if no knock is running`);
  }
  if (uid !== undefined && st.uid !== uid) {
    throw new ConfigError(`${printable(lock)}: not a lock file of yours (uid ${st.uid}); remove it if no knock is running`);
  }
  let text = '';
  try {
    const handle = await fs.open(lock, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (constants.O_NOFOLLOW ?? 0));
    try {
      const now = await handle.stat();
      if (!now.isFile() || now.ino !== st.ino) return undefined; // replaced meanwhile: look again
      const buffer = Buffer.alloc(MAX_LOCK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, MAX_LOCK_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  // "pid\nhost\n"; an older knock's one-time lock held "pid nonce\n" (no host: this one).
  const [first = '', second] = text.split('\n');
  const [pid] = first.split(' ');
  const holder: Holder = { ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  if (pid && /^\d{1,10}$/.test(pid) && Number(pid) > 0) holder.pid = Number(pid);
  if (!first.includes(' ') && second) holder.host = second;
  return holder;
}

function isStale(holder: Holder, staleMs: number, alive: (pid: number) => boolean, hostname: string): boolean {
  if (holder.ageMs > staleMs) return true;
  // An empty lock is one being written: only its age makes it stale. A lock without a host (an
  // older knock's one-time lock) was written on this host.
  return holder.pid !== undefined && (holder.host === undefined || holder.host === hostname) && !alive(holder.pid);
}

async function breakStale(lock: string, stale: Holder, pid: number): Promise<void> {
  const aside = `${lock}.stale.${pid}.${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lock, aside);
  } catch {
    return; // someone else broke or released it
  }
  const st = await fs.lstat(aside).catch(() => undefined);
  // Another run's fresh lock was renamed by mistake: put it back unless a third has one.
  if (st && st.ino !== stale.ino) await fs.link(aside, lock).catch(() => {});
  await fs.unlink(aside).catch(() => {});
}

/**
 * Holds the lock file `lock`; the returned function releases it (only if it is still ours: a
 * lock broken as stale and taken by another is left alone). A lock whose contents cannot be
 * written (a full disk) is removed before the error is thrown, so the next run is not blocked.
 */
export async function acquireLockFile(lock: string, words: LockWords, options: LockOptions & LockHolder): Promise<() => Promise<void>> {
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const alive = options.alive ?? processAlive;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const { hostname, pid } = options;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    let handle: FileHandle | undefined;
    try {
      handle = await fs.open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0), 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        const planted = code === 'ELOOP' || code === 'EISDIR' || code === 'ENXIO';
        throw new RuntimeError(`${printable(lock)}: cannot create the lock${planted ? ' (something else is at its path: remove it)' : ''}: ${reasonOf(error)}`);
      }
    }
    if (handle) {
      let ino: number;
      try {
        ino = (await handle.stat()).ino;
        await handle.writeFile(`${pid}\n${hostname}\n`);
        await handle.close();
      } catch (error) {
        await handle.close().catch(() => {});
        await fs.unlink(lock).catch(() => {});
        throw new RuntimeError(`${printable(lock)}: cannot write the lock (nothing changed): ${reasonOf(error)}`);
      }
      return async () => {
        const now = await fs.lstat(lock).catch(() => undefined);
        if (now?.ino === ino) await fs.unlink(lock).catch(() => {});
      };
    }
    const holder = await readHolder(lock, options.uid);
    if (holder && isStale(holder, staleMs, alive, hostname)) {
      await breakStale(lock, holder, pid);
      continue;
    }
    if (now() - started > waitMs) throw words.busy(holder?.pid, waitMs);
    await sleep(Math.min(5 + attempt * 5, 50) + Math.random() * 10);
  }
}

/** Runs `work` holding `lock`; the lock goes when it ends, however it ends. */
export async function withLockFile<T>(lock: string, words: LockWords, work: () => Promise<T>, options: LockOptions & LockHolder): Promise<T> {
  const release = await acquireLockFile(lock, words, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

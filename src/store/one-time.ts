// knockd's one_time_sequences files: one sequence per line, a used line disabled by a '#' in its
// first byte. Read and marked exactly as knockd does, under a lock, after the store's trust checks.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, RuntimeError, reasonOf } from '../shared/errors.js';
import type { Knock } from '../knock/tokens.js';
import { KNOCKD_MAX_LINE as MAX_LINE, knockdTrim, parseKnockdSequence } from '../knock/knockd-syntax.js';

export interface OneTimeLine {
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's first byte: where knockd writes its '#'. */
  offset: number;
  knocks: Knock[];
}

export interface OneTimeState {
  /** The file read (symlinks resolved). */
  file: string;
  /** The lines not used yet, first to last. */
  unused: OneTimeLine[];
  /** Set when group or others may read the file (sequences are secrets). */
  warning?: string;
}

/** A list of sequences is small; anything bigger is not one. */
export const MAX_ONE_TIME_BYTES = 1024 * 1024;
/** A claim holds the lock for milliseconds: one this old was left by a killed process. */
export const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/**
 * The unused lines, in knockd's order: a line is skipped when, trimmed, it is empty or starts
 * with '#'. knockd silently skips a line it cannot parse and reads some odd ones its own way
 * (atoi: "7000x" is 7000, an empty token is port 0); here such a line is an error naming it,
 * since guessing would take the client out of step with the server.
 */
export function parseOneTime(bytes: Buffer, file: string): OneTimeLine[] {
  const lines: OneTimeLine[] = [];
  let offset = 0;
  let lineNo = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(0x0a, offset);
    const stop = end < 0 ? bytes.length : end;
    lineNo++;
    const raw = bytes.subarray(offset, stop).toString('latin1');
    // knockd's trim(): C whitespace only (a line of 0xA0 is a sequence to knockd, not a blank).
    const text = knockdTrim(raw);
    // A used line too: knockd would read its rest as a line without the '#'.
    if (text !== '' && raw.length > MAX_LINE) throw new ConfigError(`${file}:${lineNo}: line longer than knockd reads (${MAX_LINE} bytes)`);
    if (text !== '' && !text.startsWith('#')) {
      const where = `${file}:${lineNo}`;
      lines.push({ line: lineNo, offset, knocks: parseKnockdSequence(text, where) });
    }
    offset = stop + 1;
  }
  return lines;
}

/** The unused lines, without taking one (show, lint, --dry-run). */
export async function readOneTime(file: string): Promise<OneTimeState> {
  const { handle, real, warning } = await openTrusted(file, constants.O_RDONLY);
  try {
    const unused = parseOneTime(await readAll(handle, file), real);
    return { file: real, unused, ...(warning ? { warning } : {}) };
  } finally {
    await handle.close();
  }
}

export interface Claimed {
  file: string;
  taken: OneTimeLine;
  /** Lines still unused after this one. */
  left: number;
  /** The line the next claim would take. */
  next?: OneTimeLine;
  warning?: string;
}

/**
 * Takes the first unused line and disables it on disk (its first byte becomes '#', synced)
 * before returning, under a lock, so no two runs and no run after a crash send the same line.
 * An exhausted list is a ConfigError (exit 2) and nothing is written.
 */
export async function claimOneTime(file: string): Promise<Claimed> {
  const { handle: probe, real } = await openTrusted(file, constants.O_RDONLY);
  await probe.close();
  const release = await acquireLock(`${real}.lock`);
  try {
    const { handle, warning } = await openTrusted(real, constants.O_RDWR);
    try {
      const unused = parseOneTime(await readAll(handle, real), real);
      const taken = unused[0];
      if (!taken) throw exhausted(real);
      // In place, one byte, as knockd does: the copy stays byte-identical to the server's list
      // (same offsets, same inode that knockd may hold open), and a one-byte write cannot tear.
      await handle.write(Buffer.from('#'), 0, 1, taken.offset);
      await handle.sync();
      const next = unused[1];
      return { file: real, taken, left: unused.length - 1, ...(next ? { next } : {}), ...(warning ? { warning } : {}) };
    } finally {
      await handle.close();
    }
  } finally {
    await release();
  }
}

export function exhausted(file: string): ConfigError {
  return new ConfigError(`${file}: no unused one-time sequence left (every line starts with '#'); get a fresh list from the server`);
}

async function readAll(handle: fs.FileHandle, file: string): Promise<Buffer> {
  const { size } = await handle.stat();
  if (size > MAX_ONE_TIME_BYTES) throw new ConfigError(`${file}: ${size} bytes is too big for a list of sequences (at most ${MAX_ONE_TIME_BYTES})`);
  const buffer = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await handle.read(buffer, read, size - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

const uid = (): number | undefined => process.getuid?.();

/**
 * Opens the file after the checks OpenSSH makes of its own files: a regular file owned by the
 * user, not writable by group or others, no bigger than MAX_ONE_TIME_BYTES; a symlink only to
 * such a file. The checks are made on the open descriptor, so the file cannot be swapped between.
 */
async function openTrusted(file: string, flags: number): Promise<{ handle: fs.FileHandle; real: string; warning?: string }> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`${file}: one-time sequences file not found (copy the server's list there, mode 0600)`);
    throw new ConfigError(`${file}: cannot read: ${reasonOf(error)}`);
  }
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, flags | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    throw new ConfigError(`${real}: cannot open: ${reasonOf(error)}`);
  }
  try {
    const st = await handle.stat();
    const via = real === path.resolve(file) ? '' : ` (the target of ${file})`;
    if (!st.isFile()) throw new ConfigError(`${real}${via}: not a regular file`);
    const me = uid();
    if (me !== undefined) {
      if (st.uid !== me) throw new ConfigError(`${real}${via}: owned by uid ${st.uid}, not by you (uid ${me}); refusing a one-time sequences file someone else controls`);
      if (st.mode & 0o022) {
        throw new ConfigError(`${real}${via}: writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 ${real}`);
      }
    }
    if (st.size > MAX_ONE_TIME_BYTES) throw new ConfigError(`${real}: ${st.size} bytes is too big for a list of sequences (at most ${MAX_ONE_TIME_BYTES})`);
    // Whoever may write the directory may replace the file or its lock between two runs.
    const dir = await fs.stat(path.dirname(real));
    if (me !== undefined && dir.mode & 0o002 && !(dir.mode & 0o1000)) {
      throw new ConfigError(`${path.dirname(real)}: writable by anyone (mode ${(dir.mode & 0o7777).toString(8).padStart(4, '0')}); keep ${path.basename(real)} in a directory only you can write`);
    }
    const warning =
      me !== undefined && st.mode & 0o044 ? `${real} is readable by group or others; one-time sequences are secrets until used: chmod 600 ${real}` : undefined;
    return { handle, real, ...(warning ? { warning } : {}) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Whether a process with this pid exists (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An O_EXCL lock file holding "pid nonce". A lock whose pid is gone (kill -9) or that is older
 * than STALE_LOCK_MS is broken: renamed away first (only one breaker can rename a given inode),
 * then removed only if it is still the inode that was judged stale.
 */
export async function acquireLock(lock: string, waitMs = LOCK_WAIT_MS): Promise<() => Promise<void>> {
  const nonce = randomBytes(8).toString('hex');
  const deadline = Date.now() + waitMs;
  for (;;) {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
      await handle.write(`${process.pid} ${nonce}\n`);
      const { ino } = await handle.stat();
      await handle.close();
      return async () => {
        const now = await fs.lstat(lock).catch(() => undefined);
        if (now?.ino === ino) await fs.unlink(lock).catch(() => {});
      };
    } catch (error) {
      await handle?.close().catch(() => {});
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RuntimeError(`${lock}: cannot create lock: ${reasonOf(error)}`);
    }
    const holder = await inspectLock(lock);
    if (holder?.stale) {
      await breakLock(lock, holder.ino, nonce);
      continue;
    }
    if (Date.now() > deadline) {
      throw new RuntimeError(`${lock}: still held by pid ${holder?.pid ?? '?'} after ${waitMs} ms (another knock is taking a one-time sequence)`);
    }
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
}

async function inspectLock(lock: string): Promise<{ pid: number; ino: number; stale: boolean } | undefined> {
  let st;
  let text;
  try {
    st = await fs.lstat(lock);
    text = await fs.readFile(lock, 'utf8');
  } catch {
    return undefined; // released meanwhile: try again
  }
  const me = uid();
  if (!st.isFile() || (me !== undefined && st.uid !== me)) {
    throw new ConfigError(`${lock}: not a lock file of yours (uid ${st.uid}); remove it if no knock is running`);
  }
  const pid = Number(text.split(' ')[0]);
  // A lock just created may not hold its pid yet: only its age can make it stale.
  const old = Date.now() - st.mtimeMs > STALE_LOCK_MS;
  const stale = old || (Number.isInteger(pid) && pid > 0 && !alive(pid));
  return { pid, ino: st.ino, stale };
}

async function breakLock(lock: string, ino: number, nonce: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${nonce}`;
  try {
    await fs.rename(lock, aside);
  } catch {
    return; // someone else broke or released it
  }
  const st = await fs.lstat(aside).catch(() => undefined);
  // Another run's fresh lock was renamed by mistake: put it back unless a third has one.
  if (st && st.ino !== ino) await fs.link(aside, lock).catch(() => {});
  await fs.unlink(aside).catch(() => {});
}

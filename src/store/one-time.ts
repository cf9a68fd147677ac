// knockd's one_time_sequences files: one sequence per line, a used line disabled by a '#' in its
// first byte. Read and marked exactly as knockd does, under a lock, after the store's trust checks.
import { constants } from 'node:fs';
import type { FileHandle } from '../files/fs-calls.js';
import { ConfigError, RuntimeError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { ONE_TIME_RULES, openGuarded, readBounded, type Trust } from '../files/guard.js';
import { acquireLockFile, type LockHolder, type LockOptions } from '../files/lock.js';
import type { Knock } from '../knock/tokens.js';
import { KNOCKD_MAX_LINE as MAX_LINE, knockdTrim, parseKnockdSequence } from '../knock/knockd-syntax.js';

/** Fewer unused one-time sequences than this is a warning: the next few opens use them up. */
export const ONE_TIME_LOW = 3;

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
export async function readOneTime(file: string, trust: Trust): Promise<OneTimeState> {
  const { handle, real, warning } = await openTrusted(file, trust, constants.O_RDONLY);
  try {
    const unused = parseOneTime(await readBounded(handle, real, MAX_ONE_TIME_BYTES), real);
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
export async function claimOneTime(file: string, trust: Trust, holder: LockHolder, lock: LockOptions = {}): Promise<Claimed> {
  const { handle: probe, real } = await openTrusted(file, trust, constants.O_RDONLY);
  await probe.close();
  const release = await acquireLock(`${real}.lock`, trust, { ...lock, ...holder });
  try {
    const { handle, warning } = await openTrusted(real, trust, constants.O_RDWR);
    try {
      const unused = parseOneTime(await readBounded(handle, real, MAX_ONE_TIME_BYTES), real);
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

/**
 * Opens the file through the trusted open (files/guard.ts) with the one-time list's stricter
 * rule: the user's own file (root's too is refused: knock writes it in place).
 */
async function openTrusted(file: string, trust: Trust, flags: number): Promise<{ handle: FileHandle; real: string; warning?: string }> {
  const opened = await openGuarded(file, trust, ONE_TIME_RULES, flags);
  if (!opened) throw new ConfigError(`${printable(file)}: one-time sequences file not found (copy the server's list there, mode 0600)`);
  const { handle, real, stat } = opened;
  const warning =
    trust.uid !== undefined && stat.mode & 0o044 ? `${real} is readable by group or others; one-time sequences are secrets until used: chmod 600 ${real}` : undefined;
  return { handle, real, ...(warning ? { warning } : {}) };
}

/** The list's FILE.lock (files/lock.ts): a claim holds it for milliseconds. */
export function acquireLock(lock: string, trust: Trust, options: LockOptions & LockHolder): Promise<() => Promise<void>> {
  const waitMs = options.waitMs ?? LOCK_WAIT_MS;
  const busy = (pid: number | undefined) =>
    new RuntimeError(`${lock}: still held by pid ${pid ?? '?'} after ${waitMs} ms (another knock is taking a one-time sequence)`);
  return acquireLockFile(lock, { busy }, { staleMs: STALE_LOCK_MS, uid: trust.uid, ...options, waitMs });
}

// The trusted open and read: every file knock reads for its own use (a profile store, a one-time
// list, ~/.ssh/config and its Includes, a knockd.conf) is opened here under one set of rules,
// as OpenSSH's StrictModes judges its own files:
// - the file is owned by the user or root and writable by nobody else;
// - every directory above it, up to home, is owned by the user or root and not writable by group
//   or others unless sticky (as /tmp: there others cannot replace what is ours);
// - a symlink on the way counts as the file it names: owned by the user or root, in a directory
//   that passes the same rule, and the file it leads to passes it too;
// - it is opened without following a last symlink, without blocking (a FIFO would wait for a
//   writer) and without adopting a tty, then fstat'ed: only a regular file is read, and never more
//   than its bound + 1 bytes, so a FIFO, a device or a file that grows cannot hang or exhaust knock.
// A caller that needs a stricter rule says so by a named option of its FileRules.
// The checks and the read are synchronous calls: a few dozen microseconds in all for a store,
// where a trip through libuv's pool for each would cost a knock's start-up a millisecond and
// more, and nothing else runs meanwhile (the files are read before any packet leaves). The
// descriptor an open gives stays open for the caller's own calls (a one-time list's write).
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { handleOf, type FileHandle } from './fs-calls.js';
import path from 'node:path';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';

/** Whose files knock trusts: the user it runs as (and root), and where the directory climb stops. */
export interface Trust {
  /** The user knock runs as; undefined where POSIX owners mean nothing (Windows). */
  uid: number | undefined;
  /** The climb stops after home, as OpenSSH's safe_path does: above it is the admin's. */
  home: string;
}

/** What a kind of file is held to, beyond the common rules. */
export interface FileRules {
  /** The file in messages: "a profile store". */
  noun: string;
  /** A directory in messages: "(a directory above the store FILE)". */
  short: string;
  /** The most bytes such a file may have. */
  maxBytes: number;
  /** Stricter: root's files are refused too (a file knock writes in place must be the user's own). */
  ownOnly?: boolean;
  /** The sentence after "owned by uid N, not by you" (the consequence and the fix). */
  ownerFix: (name: string) => string;
  /** The sentence after "writable by group (mode ...)". */
  modeFix: (name: string) => string;
  /** The sentence after "is a FIFO": what the file should be. */
  kindFix: string;
  /** Who "writable by" names, when the caller's readers know other words (ssh's). */
  writers?: (mode: number) => string;
}

/** Far above any real store (a profile is ~100 bytes), far below what hurts. */
export const MAX_STORE_BYTES = 1024 * 1024;

export const STORE_RULES: FileRules = {
  noun: 'profile store',
  short: 'the store',
  maxBytes: MAX_STORE_BYTES,
  ownerFix: () => "knock will not knock from or write to another user's store; remove it, or chown it if it is yours",
  modeFix: (name) => `so anyone could change where knock knocks: chmod 600 ${name}`,
  kindFix: 'a profile store is a regular file',
};

/** knockd's one_time_sequences list: marked in place, so it must be the user's own (not root's). */
export const ONE_TIME_RULES: FileRules = {
  noun: 'one-time sequences file',
  short: 'the one-time sequences file',
  maxBytes: 1024 * 1024,
  ownOnly: true,
  ownerFix: () => 'refusing a one-time sequences file someone else controls',
  modeFix: (name) => `chmod 600 ${name}`,
  kindFix: 'a one-time sequences file is a regular file',
};

/** ssh_config as OpenSSH reads it (readconf.c, SSHCONF_CHECKPERM). */
export const SSH_CONFIG_RULES: FileRules = {
  noun: 'ssh config',
  short: 'the ssh config',
  maxBytes: 4 * 1024 * 1024,
  ownerFix: () => 'ssh refuses such a file ("Bad owner or permissions"), and so does knock',
  modeFix: () => 'ssh refuses such a file ("Bad owner or permissions"), and so does knock; chmod go-w it',
  kindFix: 'not read as ssh config',
  writers: (mode) => (mode & 0o002 ? 'others' : 'the group'),
};

/** A knockd.conf that `import` turns into profiles or `serve` runs the commands of. */
export const KNOCKD_CONF_RULES: FileRules = {
  noun: 'knockd.conf',
  short: 'the knockd.conf',
  maxBytes: 1024 * 1024,
  ownerFix: () => "knock will not read another user's knockd.conf (its commands would run as you); chown it if it is yours",
  modeFix: (name) => `so anyone could change it: chmod go-w ${name}`,
  kindFix: 'a knockd.conf is a regular file',
};

const STICKY = 0o1000;
const MAX_LINKS = 40;

export const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

function whoCanWrite(mode: number): string {
  return [mode & 0o020 ? 'group' : '', mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
}

export function kindOf(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket' | 'isSymbolicLink'>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

const trusted = (owner: number, uid: number, ownOnly: boolean | undefined) => owner === uid || (!ownOnly && owner === 0);

/** Why a file (the fstat of its open descriptor) is not to be trusted, or undefined. */
export function fileProblem(file: string, st: Pick<Stats, 'uid' | 'mode'>, trust: Trust, rules: FileRules, linkedFrom?: string): string | undefined {
  if (trust.uid === undefined) return undefined;
  const name = printable(file);
  const link = linkedFrom ? ` (the ${rules.short.replace(/^the /, '')} ${printable(linkedFrom)} links to it)` : '';
  if (!trusted(st.uid, trust.uid, rules.ownOnly)) {
    return `${name}${link} is owned by uid ${st.uid}, not by you (uid ${trust.uid})${rules.ownOnly ? '' : ' or root'}: ${rules.ownerFix(name)}`;
  }
  if (st.mode & 0o022) return `${name}${link} is writable by ${(rules.writers ?? whoCanWrite)(st.mode)} (mode ${octal(st.mode)}): ${rules.modeFix(name)}`;
  return undefined;
}

/** Throws fileProblem's reason as a ConfigError. */
export function checkFile(file: string, st: Pick<Stats, 'uid' | 'mode'>, trust: Trust, rules: FileRules, linkedFrom?: string): void {
  const problem = fileProblem(file, st, trust, rules, linkedFrom);
  if (problem) throw new ConfigError(problem);
}

/** Why one directory would let another user replace what is in it, or undefined. */
export function directoryProblem(dir: string, st: Pick<Stats, 'uid' | 'mode'>, uid: number, about: string): string | undefined {
  const name = printable(dir);
  if (st.uid !== uid && st.uid !== 0) {
    return `${name} (${about}) is owned by uid ${st.uid}, not by you or root, so its owner could replace what is in it: keep it in a directory of yours`;
  }
  if (st.mode & 0o022 && !(st.mode & STICKY)) {
    return `${name} (${about}) is writable by ${whoCanWrite(st.mode)} (mode ${octal(st.mode)}), so they could replace what is in it: chmod go-w ${name}`;
  }
  return undefined;
}

/** Every directory from `file`'s up to home (or /), each held to directoryProblem's rule. */
export async function checkDirectories(file: string, trust: Trust, rules: Pick<FileRules, 'short'>): Promise<void> {
  if (trust.uid === undefined) return;
  const home = path.resolve(trust.home);
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const st = statSync(dir);
    const problem = directoryProblem(dir, st, trust.uid, `a directory above ${rules.short} ${printable(file)}`);
    if (problem) throw new ConfigError(problem);
    const up = path.dirname(dir);
    if (dir === home || up === dir) return;
    dir = up;
  }
}

/**
 * A directory knock keeps its own files in (the sequence lock's): a real directory (no symlink),
 * the user's own, with none of the `forbidden` mode bits. The reason it is not, or undefined.
 */
export function privateDirectoryProblemSync(dir: string, uid: number, forbidden: number): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (error) {
    return `cannot use ${printable(dir)}: ${reasonOf(error)}`;
  }
  if (!st.isDirectory()) return `${printable(dir)} is not a directory (${kindOf(st)}: someone left it there?)`;
  if (st.uid !== uid) return `${printable(dir)} belongs to uid ${st.uid}, not you (uid ${uid})`;
  if (st.mode & forbidden) return `${printable(dir)} is open to others (mode ${octal(st.mode)})`;
  return undefined;
}

/** Whether others writing `dir` (a shared /tmp) cannot rename away what is ours: the sticky bit. */
export function sharedDirectoryProblemSync(dir: string): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (error) {
    return `cannot use ${printable(dir)}: ${reasonOf(error)}`;
  }
  if (st.mode & 0o022 && !(st.mode & STICKY)) return `${printable(dir)} is writable by others without the sticky bit`;
  return undefined;
}

export interface Resolved {
  /** The file the path leads to, every symlink resolved (it may not exist yet). */
  real: string;
  /** The last symlink followed, when there was one: it is named in messages. */
  via?: string;
  /** Whether the file exists. */
  exists: boolean;
}

/**
 * Resolves `given` component by component, as realpath does, but holds every symlink met to the
 * rules: owned by the user or root (another user's link in /tmp could be re-pointed at our
 * files), in a directory nobody else could replace it in. A dangling last link is refused:
 * writing through it would create a file where its owner chose.
 */
export async function resolveGuarded(given: string, trust: Trust, rules: FileRules): Promise<Resolved> {
  const queue = path.resolve(given).split(path.sep).filter(Boolean);
  let cur = path.parse(path.resolve(given)).root;
  let links = 0;
  let via: string | undefined;
  const checked = new Set<string>();
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, part);
    let st: Stats | undefined;
    try {
      // A missing file is no error object (whose making costs more than the call): the store's
      // search tries names that do not exist on every run.
      st = lstatSync(next, { throwIfNoEntry: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw new ConfigError(`${printable(next)}: cannot read: ${reasonOf(error)}`);
    }
    if (!st) {
      if (via !== undefined) {
        throw new ConfigError(`${printable(via)} is a symlink to ${printable(path.join(next, ...queue))}, which does not exist: create it or point the link elsewhere`);
      }
      return { real: path.join(next, ...queue), exists: false, ...(via ? { via } : {}) };
    }
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new ConfigError(`${printable(given)}: too many levels of symlinks`);
    if (trust.uid !== undefined) {
      if (!trusted(st.uid, trust.uid, false)) {
        throw new ConfigError(
          `${printable(next)} is a symlink owned by uid ${st.uid}, not by you (uid ${trust.uid}) or root: its owner could point it at any file, so knock does not follow it to ${rules.short.replace(/^the /, 'a ')}`,
        );
      }
      if (!checked.has(cur)) {
        checked.add(cur);
        await checkDirectories(next, trust, { short: `the symlink ${printable(next)} to ${rules.short}` }).catch((error: unknown) => {
          if (error instanceof ConfigError) throw error;
          throw new ConfigError(`${printable(next)}: cannot read: ${reasonOf(error)}`);
        });
      }
    }
    const target = readlinkSync(next);
    if (queue.length === 0) via = next;
    queue.unshift(...target.split(path.sep).filter(Boolean));
    if (path.isAbsolute(target)) cur = path.parse(target).root;
  }
  return { real: cur, exists: true, ...(via ? { via } : {}) };
}

/** Only a regular file within the bound is read (the fstat of the open descriptor). */
function checkKindAndSize(file: string, st: Stats, rules: FileRules): void {
  const name = printable(file);
  if (!st.isFile()) throw new ConfigError(`${name} is ${kindOf(st)}: ${rules.kindFix}`);
  if (st.size > rules.maxBytes) {
    throw new ConfigError(`${name} is ${st.size} bytes: a ${rules.noun} is at most ${rules.maxBytes} bytes${rules.maxBytes === 1024 * 1024 ? ' (1 MiB)' : ''}`);
  }
}

export interface Opened {
  handle: FileHandle;
  /** The file opened: the given path with symlinks resolved. */
  real: string;
  stat: Stats;
}

/**
 * Opens a trusted regular file (undefined: there is none). `flags` adds to O_RDONLY (O_RDWR for
 * a file marked in place). The checks are made on the open descriptor, so a swap between the
 * check and the read changes nothing.
 */
export async function openGuarded(given: string, trust: Trust, rules: FileRules, flags: number = constants.O_RDONLY): Promise<Opened | undefined> {
  const resolved = await resolveGuarded(given, trust, rules);
  if (!resolved.exists) return undefined;
  const { real } = resolved;
  const name = printable(given);
  let handle: FileHandle;
  try {
    handle = handleOf(openSync(real, flags | constants.O_NONBLOCK | constants.O_NOCTTY | (constants.O_NOFOLLOW ?? 0)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // ELOOP: the last component became a symlink after it was resolved.
    throw new ConfigError(`${name}: cannot read: ${reasonOf(error)}`);
  }
  try {
    const st = fstatSync(handle.fd);
    checkKindAndSize(given, st, rules);
    // A link is named with what it points to: that is the file to fix.
    const linked = real !== path.resolve(given);
    checkFile(linked ? real : given, st, trust, rules, linked ? given : undefined);
    await checkDirectories(real, trust, rules);
    return { handle, real, stat: st };
  } catch (error) {
    closeQuietly(handle.fd);
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${name}: cannot read: ${reasonOf(error)}`);
  }
}

/** Reads an opened file from offset 0, at most `maxBytes` (one byte more is an error: it grew). */
export async function readBounded(handle: FileHandle, file: string, maxBytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(fstatSync(handle.fd).size + 1, 4096)));
  let chunks: Buffer[] = [];
  let length = 0;
  for (;;) {
    const bytesRead = readSync(handle.fd, buffer, 0, buffer.length, length);
    if (bytesRead === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    length += bytesRead;
    if (length > maxBytes) throw new ConfigError(`${printable(file)} grew past ${maxBytes} bytes while it was read`);
  }
  const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  chunks = [];
  return out;
}

export interface GuardedBytes {
  /** The file the bytes came from: the given path with symlinks resolved. */
  real: string;
  bytes: Buffer;
  mode: number;
  /** The opened file's owner. */
  uid: number;
}

/** A trusted file's bytes, or undefined when there is no such file. */
export async function readGuarded(given: string, trust: Trust, rules: FileRules): Promise<GuardedBytes | undefined> {
  const opened = await openGuarded(given, trust, rules);
  if (!opened) return undefined;
  try {
    const bytes = await readBounded(opened.handle, given, rules.maxBytes);
    return { real: opened.real, bytes, mode: opened.stat.mode & 0o7777, uid: opened.stat.uid };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${printable(given)}: cannot read: ${reasonOf(error)}`);
  } finally {
    closeQuietly(opened.handle.fd);
  }
}

/**
 * A regular file's text, opened without blocking and read within the bound, for a caller that
 * judged the owner already (ssh's Include files: their owner rule is checked on the path).
 */
export async function readRegularText(file: string, rules: FileRules): Promise<string> {
  const handle = handleOf(openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY));
  try {
    checkKindAndSize(file, fstatSync(handle.fd), rules);
    return (await readBounded(handle, file, rules.maxBytes)).toString('utf8');
  } finally {
    closeQuietly(handle.fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

/** A trusted file's text; a missing file is a ConfigError naming it. */
export async function readGuardedText(file: string, trust: Trust, rules: FileRules, encoding: BufferEncoding = 'utf8'): Promise<string> {
  const read = await readGuarded(file, trust, rules);
  if (!read) throw new ConfigError(`cannot read ${printable(file)}: no such file or directory`);
  return read.bytes.toString(encoding);
}

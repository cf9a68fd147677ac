// The atomic replace: new bytes written to a fresh temp file in the same directory (O_EXCL, never
// following anything there), given exactly the mode asked for, fsynced, renamed over the file,
// then the directory fsynced. A crash leaves the old file or the new one, whole; a failure before
// the rename removes the temp file and leaves the old file as it was. Nothing is written that
// would be bigger than the bound the file is read with, and the bytes go out exactly as given.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { fs, type FileHandle } from './fs-calls.js';
import path from 'node:path';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { processAlive } from './lock.js';

/** The file system calls of a replace, replaceable so tests can fail one. */
export interface ReplaceFs {
  writeFile(file: string, bytes: Buffer, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  syncDir(dir: string): Promise<void>;
}

export const nodeReplaceFs: ReplaceFs = {
  async writeFile(file, bytes, mode) {
    const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      await handle.writeFile(bytes);
      // open() applies the umask; the file must keep exactly its mode.
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
    const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Thrown when the bytes would exceed the bound: nothing was written. */
export class TooBigError extends RuntimeError {}

/** Thrown when the new file is in place but its directory could not be synced. */
export class NotDurableError extends RuntimeError {}

export interface ReplaceOptions {
  /** The mode the file gets (the old file's, or 0600 for a new one). */
  mode: number;
  /** The most bytes the file may have: the bound it is read with. */
  maxBytes: number;
  fs?: ReplaceFs;
  /** Runs after the temp file is synced, before the rename; throws to write nothing. */
  beforeRename?: () => Promise<void>;
  /** Ours (shared/io.ts reads it): in the temporary file's name. */
  pid: number;
}

/** `.NAME.PID.HEX.tmp`: the pid lets a later run tell a dead edit's leftover from a live one's. */
export function tempPathOf(dest: string, pid: number): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Replaces `dest` with `bytes`. Errors before the rename come as they are (the caller says the
 * file is unchanged); TooBigError before anything is written; NotDurableError after the rename.
 */
export async function replaceFile(dest: string, bytes: Buffer, options: ReplaceOptions): Promise<void> {
  const fsx = options.fs ?? nodeReplaceFs;
  if (bytes.length > options.maxBytes) {
    throw new TooBigError(
      `${printable(dest)}: the edit would make it ${bytes.length} bytes, over the ${options.maxBytes} bytes it may have to be read again; nothing written`,
    );
  }
  const temp = tempPathOf(dest, options.pid);
  try {
    await fsx.writeFile(temp, bytes, options.mode);
    await options.beforeRename?.();
    await fsx.rename(temp, dest);
  } catch (error) {
    await fsx.unlink(temp).catch(() => {});
    throw error;
  }
  // The rename is durable only once the directory is: a crash could otherwise bring back the old file.
  try {
    await fsx.syncDir(path.dirname(dest));
  } catch (error) {
    throw new NotDurableError(
      `${printable(dest)}: written, but its directory could not be synced, so a crash could still bring back the old file: ${reasonOf(error)}`,
    );
  }
}

/**
 * Temp files a killed replace left beside `dest`. Run under the file's edit lock no live edit
 * has one, except one whose lock was broken as stale: its pid still runs, so its file stays.
 */
export async function removeDeadTemps(dest: string, alive: (pid: number) => boolean = processAlive): Promise<void> {
  const dir = path.dirname(dest);
  const base = path.basename(dest);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`.${base}.`)) continue;
    const m = /^\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(base.length + 1));
    if (m && !alive(Number(m[1]))) await fs.unlink(path.join(dir, name)).catch(() => {});
  }
}

// Reads a store file's bytes only after the opened file proved to be a trusted regular file of
// sane size: a FIFO, a device or a 50 MB file is refused before a byte is read.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { checkStorePath, checkStoreStat, type TrustOptions } from './trust.js';

/** Far above any real store (a profile is ~100 bytes), far below what hurts. */
export const MAX_STORE_BYTES = 1024 * 1024;

export interface StoreBytes {
  /** The file the bytes came from: the given path with symlinks resolved. */
  real: string;
  bytes: Buffer;
  mode: number;
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The store's bytes, or undefined when there is no such file. */
export async function readStoreBytes(file: string, trust: TrustOptions): Promise<StoreBytes | undefined> {
  const name = printable(file);
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer; O_NOCTTY: never adopt a tty.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError(`${name}: cannot read: ${reasonOf(error)}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ConfigError(`${name} is ${kindOf(st)}: a profile store is a regular file`);
    if (st.size > MAX_STORE_BYTES) {
      throw new ConfigError(`${name} is ${st.size} bytes: a profile store is at most ${MAX_STORE_BYTES} bytes (1 MiB)`);
    }
    const real = await fs.realpath(file);
    // A link is named with what it points to: that is the file to fix.
    checkStoreStat(real === path.resolve(file) ? file : real, st, trust, real === path.resolve(file) ? undefined : file);
    await checkStorePath(file, real, trust);
    // Read at most one byte past the limit: a file that grew since fstat is refused too.
    const buffer = Buffer.allocUnsafe(MAX_STORE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_STORE_BYTES) throw new ConfigError(`${name} grew past ${MAX_STORE_BYTES} bytes while it was read`);
    }
    return { real, bytes: buffer.subarray(0, length), mode: st.mode & 0o7777 };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${name}: cannot read: ${reasonOf(error)}`);
  } finally {
    await handle.close();
  }
}

// Reads a store file's bytes through the trusted open (files/guard.ts): a FIFO, a device, a file
// of another user or a 50 MB file is refused before a byte is read.
import { readGuarded, STORE_RULES, type Trust } from '../files/guard.js';

export { MAX_STORE_BYTES } from '../files/guard.js';

export interface StoreBytes {
  /** The file the bytes came from: the given path with symlinks resolved. */
  real: string;
  bytes: Buffer;
  mode: number;
}

/** The store's bytes, or undefined when there is no such file. */
export async function readStoreBytes(file: string, trust: Trust): Promise<StoreBytes | undefined> {
  const read = await readGuarded(file, trust, STORE_RULES);
  return read && { real: read.real, bytes: read.bytes, mode: read.mode };
}

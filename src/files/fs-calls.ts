// The asynchronous file calls of the files layer (lock files, the atomic replace, a one-time
// list's in-place mark on the descriptor the guarded open gives) and of the ssh config reader,
// shaped as fs.promises (the part they use) but made of Node's callback fs: requiring
// fs/promises loads Node's streams and readline with it, about a millisecond and a half of every
// knock's start-up. Each call still runs in libuv's pool, off the event loop, so a slow disk
// delays no knock of a group in flight. (The guarded open's checks and reads are synchronous:
// files/guard.ts says why.)
import { close, fchmod, fstat, fsync, link, lstat, mkdir, open, read, readdir, readlink, rename, stat, unlink, write, type Stats } from 'node:fs';

/** An open file, as fs.promises.FileHandle for the calls used here. */
export interface FileHandle {
  readonly fd: number;
  stat(): Promise<Stats>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /** All of `data`, from the file's current position (0 for a file just opened). */
  writeFile(data: string | Buffer): Promise<void>;
  chmod(mode: number): Promise<void>;
  sync(): Promise<void>;
  /** Closes the descriptor once; a second close does nothing. */
  close(): Promise<void>;
}

/** A callback call as a promise (what util.promisify does, made per call: nothing is built at load). */
function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

/** An open descriptor's calls (the guarded open's, files/guard.ts). */
export function handleOf(fd: number): FileHandle {
  let closed: Promise<void> | undefined;
  const written = (buffer: Buffer, offset: number, length: number, position: number | null) =>
    call<number>((done) => write(fd, buffer, offset, length, position, done));
  return {
    fd,
    stat: () => call<Stats>((done) => fstat(fd, done)),
    read: (buffer, offset, length, position) => call<number>((done) => read(fd, buffer, offset, length, position, done)).then((bytesRead) => ({ bytesRead })),
    write: (buffer, offset, length, position) => written(buffer, offset, length, position).then((bytesWritten) => ({ bytesWritten })),
    async writeFile(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let done = 0; done < bytes.length; ) done += await written(bytes, done, bytes.length - done, null);
    },
    chmod: (mode) => call<void>((done) => fchmod(fd, mode, done)),
    sync: () => call<void>((done) => fsync(fd, done)),
    close: () => (closed ??= call<void>((done) => close(fd, done))),
  };
}

export const fs = {
  open: (file: string, flags: number, mode?: number): Promise<FileHandle> => call<number>((done) => open(file, flags, mode, done)).then(handleOf),
  lstat: (file: string) => call<Stats>((done) => lstat(file, done)),
  stat: (file: string) => call<Stats>((done) => stat(file, done)),
  readlink: (file: string) => call<string>((done) => readlink(file, done)),
  rename: (from: string, to: string) => call<void>((done) => rename(from, to, done)),
  unlink: (file: string) => call<void>((done) => unlink(file, done)),
  link: (existing: string, made: string) => call<void>((done) => link(existing, made, done)),
  readdir: (dir: string) => call<string[]>((done) => readdir(dir, done)),
  mkdir: (dir: string, options: { recursive?: boolean; mode?: number }) => call<string | undefined>((done) => mkdir(dir, options, done)),
};

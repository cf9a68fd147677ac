// One knock sequence at a time per destination address, across processes: a listening Unix
// socket per address in a directory only the user can write.
//
// Why a socket and not a pid file: the kernel closes a listening socket with its process
// (kill -9 included), and connect() to a dead one is refused at once, so "is the holder
// alive?" is answered by the kernel, with no pid reuse or start-time guessing. Node has no
// flock(); binding a Unix socket is its one atomic "create if absent" that the kernel also
// undoes. A dead socket's path stays behind; removing it must never remove a live one, so
// the remover first takes a lock named after that dead file's identity (inode and ctime):
// only one process can hold it, and a dead inode never comes back to life.
import { linkSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { privateDirectoryProblemSync, sharedDirectoryProblemSync } from '../files/guard.js';
import net from 'node:net';
import path from 'node:path';
import { canonicalAddress } from '../shared/address.js';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { unixListen, type UnixListener } from '../shared/handles.js';
import type { Destination } from './transport/transport.js';

export interface SequenceLock {
  /**
   * Resolves once no other process is sending a sequence to `to`; the returned function
   * lets the next one go. `onWait` is told once if another sequence is under way.
   */
  acquire(to: Destination, onWait?: () => void): Promise<() => void>;
}

/** The process's own values (shared/io.ts reads them): where the lock directory is, whose it is. */
export interface SystemLockOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Undefined where there are no uids (Windows: no lock there). */
  uid: number | undefined;
  tmpdir: string;
  /** Ours: part of the unique name a lock's socket listens under before it is linked into place. */
  pid: number;
  /** How long to wait for another sequence to the same address. */
  timeoutMs?: number;
}

/** A sequence takes at most seconds; a holder this slow is stuck, not busy. */
export const LOCK_TIMEOUT_MS = 30_000;

/** Unix socket paths are limited to 108 bytes (104 on macOS), the NUL included. */
const MAX_SOCKET_PATH = 100;

/** How deep removing a dead lock may nest (each level needs a kill -9 inside microseconds). */
const MAX_REAP_DEPTH = 3;

export class LockTimeoutError extends RuntimeError {
  constructor(
    address: string,
    readonly seconds: number,
  ) {
    super(`another knock sequence to ${address} did not finish within ${seconds} s`);
  }
}

export function systemSequenceLock(options: SystemLockOptions): SequenceLock {
  const { platform, pid } = options;
  // Windows has no Unix socket files (net's paths there are named pipes): no lock.
  if (platform === 'win32') return { acquire: async () => () => {} };
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS;
  let dir: string | undefined;
  return {
    async acquire(to, onWait) {
      dir ??= lockDirectory(options.env, options.uid ?? 0, options.tmpdir);
      // One address, one lock, however it is spelled (case, zeros, ::ffff:, %zone).
      const file = path.join(dir, `${canonicalAddress(to.address).replace(/[^0-9A-Za-z.:_-]/g, '_')}.lock`);
      if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
        throw new RuntimeError(`the lock path ${file} is too long for a Unix socket; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory`);
      }
      // The bound is on one holder, not on the queue: 50 runs at once to one address wait for
      // each other in turn, longer in all than a stuck holder may take, and each is busy, not stuck.
      let deadline = Date.now() + timeoutMs;
      let holder: string | undefined;
      let told = false;
      for (;;) {
        const attempt = await tryLock(file, 0, pid);
        if (attempt.held) return attempt.release;
        if (attempt.live && attempt.holder !== holder) {
          if (holder !== undefined) deadline = Date.now() + timeoutMs;
          holder = attempt.holder;
        }
        if (!told && attempt.live) {
          told = true;
          onWait?.();
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new LockTimeoutError(to.address, timeoutMs / 1000);
        await attempt.wait(Math.min(left, 250));
      }
    },
  };
}

/**
 * $XDG_RUNTIME_DIR/knock, else TMPDIR/knock-UID; made 0700 if absent. Either must be a real
 * directory (no symlink) of this user that nobody else can write: in a shared /tmp another
 * user could make it first and then remove or replace our locks.
 */
export function lockDirectory(env: NodeJS.ProcessEnv, uid: number, tmpdir: string): string {
  const runtime = env.XDG_RUNTIME_DIR;
  const usable = runtime && path.isAbsolute(runtime) ? runtime : undefined;
  if (usable) checkPrivate(usable, uid, 0o022, 'unset XDG_RUNTIME_DIR or point it to a directory of yours');
  const dir = usable ? path.join(usable, 'knock') : path.join(tmpdir, `knock-${uid}`);
  if (!usable) checkParent(tmpdir);
  try {
    // Made once; every later run finds it (and a run that finds nothing makes it, or loses the race).
    if (!lstatSync(dir, { throwIfNoEntry: false })) mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RuntimeError(`cannot make the lock directory ${dir}: ${reasonOf(error)}`);
  }
  checkPrivate(dir, uid, 0o077, usable ? 'remove it' : 'remove it (or set XDG_RUNTIME_DIR to a directory of yours)');
  return dir;
}

function checkPrivate(dir: string, uid: number, forbidden: number, fix: string): void {
  const problem = privateDirectoryProblemSync(dir, uid, forbidden);
  if (problem) throw new RuntimeError(`the lock directory ${problem}: ${fix}`);
}

/** Others may write a shared /tmp only if its sticky bit stops them renaming our directory away. */
function checkParent(dir: string): void {
  const problem = sharedDirectoryProblemSync(dir);
  if (problem) throw new RuntimeError(`${problem}, so a lock directory there is not safe: set XDG_RUNTIME_DIR or TMPDIR to a directory of yours`);
}

/** `holder`: the live lock's identity, so a waiter can tell the queue moved on. */
type Attempt = { held: true; release: () => void } | { held: false; live: boolean; holder?: string; wait: (ms: number) => Promise<void> };

/** One try: hold `file`, or learn how to wait for whoever holds it. */
async function tryLock(file: string, depth: number, pid: number): Promise<Attempt> {
  // A socket is bound first and listens after: a path that existed in between would refuse
  // connections though its holder lives, and a waiter would take it for dead. So the socket
  // listens under a name of its own and only then is linked into place (link() creates or
  // fails, atomically): a socket at the lock path is always listening, or its holder is dead.
  // pid and the monotonic clock: unique on this host without loading crypto on every knock.
  const own = path.join(path.dirname(file), `.${pid.toString(36)}${(process.hrtime.bigint() % 36n ** 8n).toString(36)}`);
  const listening = await listenAt(own);
  if ('error' in listening) throw new RuntimeError(`cannot take the lock ${file}: ${reasonOf(listening.error)}`);
  let linked: NodeJS.ErrnoException | undefined;
  try {
    linkSync(own, file);
  } catch (error) {
    linked = error as NodeJS.ErrnoException;
  }
  try {
    unlinkSync(own);
  } catch {
    // already gone
  }
  if (!linked) {
    const mine = identity(file);
    // The lock path goes first, while we still listen (so while it exists it is ours and
    // alive); then the socket (libuv unlinks our own name with it) and the waiters' connections.
    let released = false;
    return {
      held: true,
      release: () => {
        if (released) return;
        released = true;
        try {
          if (identity(file) === mine) unlinkSync(file);
        } catch {
          // already gone
        }
        listening.close();
      },
    };
  }
  listening.close();
  if (linked.code !== 'EEXIST') throw new RuntimeError(`cannot take the lock ${file}: ${reasonOf(linked)}`);
  const kind = kindOf(file);
  if (kind !== undefined && kind !== 'socket') {
    throw new RuntimeError(`the lock path ${file} is a ${kind}, not a lock knock made: remove it`);
  }
  const before = identity(file);
  const probe = await connectTo(file);
  if (probe.alive) {
    const { socket } = probe;
    return {
      held: false,
      live: true,
      holder: before,
      wait: (ms) =>
        new Promise((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            socket.destroy();
            resolve();
          }
          socket.once('close', done);
        }),
    };
  }
  // Gone meanwhile, or let go while we were connecting (the holder's close resets us): try again.
  if (probe.code === 'ENOENT' || probe.code === 'ECONNRESET' || before === undefined) return retryNow;
  if (probe.code !== 'ECONNREFUSED') throw new RuntimeError(`cannot check the lock ${file}: ${probe.code}`);
  // Its holder is gone (killed): remove the dead socket, but only as the one remover of this
  // very inode, and only if the path still names it.
  if (depth >= MAX_REAP_DEPTH) return pause;
  // Named by the dead inode alone (unique in the directory while it exists): short at any depth.
  const reaper = await tryLock(path.join(path.dirname(file), `${before}.reap`), depth + 1, pid);
  if (!reaper.held) return pause;
  try {
    if (identity(file) === before) unlinkSync(file);
  } catch {
    // already gone
  } finally {
    reaper.release();
  }
  return retryNow;
}

/**
 * A socket listening at `file` that keeps waiters' connections open until closed (their
 * connection closing tells them we are done) and does not keep the process alive: libuv's own
 * handle where it can be had (no net, no cluster: shared/handles.ts), else net's server.
 */
async function listenAt(file: string): Promise<UnixListener | { error: NodeJS.ErrnoException }> {
  const handle = unixListen(file);
  if (handle) return 'error' in handle ? handle : handle.listener;
  const server = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(file, () => resolve(undefined));
  });
  if (error) return { error };
  const waiters = new Set<net.Socket>();
  server.on('connection', (s) => {
    s.on('error', () => {});
    s.unref();
    waiters.add(s);
  });
  server.on('error', () => {});
  server.unref();
  return {
    close() {
      server.close();
      for (const s of waiters) s.destroy();
    },
  };
}

const retryNow: Attempt = { held: false, live: false, wait: () => Promise.resolve() };
const pause: Attempt = { held: false, live: false, wait: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) };

/** What is at `file`, if anything: a socket is what a lock is. */
function kindOf(file: string): string | undefined {
  try {
    const st = lstatSync(file);
    if (st.isSocket()) return 'socket';
    if (st.isDirectory()) return 'directory';
    if (st.isSymbolicLink()) return 'symbolic link';
    if (st.isFIFO()) return 'FIFO';
    if (st.isFile()) return 'regular file';
    return 'device';
  } catch {
    return undefined;
  }
}

/** A file's identity: inode and change time (a new file at the same path differs). */
function identity(file: string): string | undefined {
  try {
    const st = lstatSync(file, { bigint: true });
    return `${st.ino.toString(36)}-${st.ctimeNs.toString(36)}`;
  } catch {
    return undefined;
  }
}

type Probe = { alive: true; socket: net.Socket } | { alive: false; code: string };

function connectTo(file: string): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.unref();
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve({ alive: true, socket });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      // A full backlog means a holder too busy to accept: alive.
      if (error.code === 'EAGAIN') resolve({ alive: true, socket });
      else resolve({ alive: false, code: error.code ?? reasonOf(error) });
    });
  });
}

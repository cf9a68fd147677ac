// The process's side of the world, read here once and passed in, so that commands can be run
// with fakes: nothing else under src/ reads the environment, the working directory, the user,
// the pid or the host name (test/unit/shared/process-reads.test.ts holds that).
import { writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface OutStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  /** The user knock runs as; undefined where POSIX owners mean nothing (Windows), or in a fake. */
  uid?: number | undefined;
  /** Where temporary files go ($TMPDIR, else /tmp). */
  tmpdir: string;
  /** The local user's name, as ssh's %u and `Match localuser` see it. */
  user: string;
  platform: NodeJS.Platform;
  /** This process's id: in lock files and temporary names, and an ICMP echo's identifier. */
  pid: number;
  /** Our parent's pid now (it changes when the parent dies and we are re-parented). */
  ppid: () => number;
  /** This host's name: a pid in a lock file means something only on the host that wrote it. */
  hostname: string;
  /** How to run this very knock again (the watchdog child, ProxyCommand lines). */
  self: { node: string; script: string };
}

export function processIo(): Io {
  // Windows writes pipes asynchronously: its streams keep the order there.
  const direct = process.platform !== 'win32';
  const stdout = direct ? new DescriptorOut(1, () => process.stdout) : undefined;
  const stderr = direct ? new DescriptorOut(2, () => process.stderr) : undefined;
  let tmpdir: string | undefined;
  let user: string | undefined;
  let hostname: string | undefined;
  return {
    // Each stream is made on first use (stdin, a pipe or a terminal, costs a few ms to set up,
    // and a knock never reads it).
    get stdout() {
      return stdout ?? process.stdout;
    },
    get stderr() {
      return stderr ?? process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: currentDirectory(),
    homedir: process.env.HOME || homeDirectory(),
    uid: process.platform === 'win32' ? undefined : process.getuid?.(),
    get tmpdir() {
      return (tmpdir ??= os.tmpdir());
    },
    // Asked of the system (the passwd entry, uname) once, when first wanted: a knock wants neither.
    get user() {
      return (user ??= userName());
    },
    platform: process.platform,
    pid: process.pid,
    ppid: () => process.ppid,
    get hostname() {
      return (hostname ??= os.hostname());
    },
    self: { node: process.execPath, script: path.resolve(process.argv[1] ?? 'knock') },
  };
}

// A uid with no passwd entry and no HOME (uv_os_homedir) must not crash start-up: `knock --version`
// needs no home. Nor does reading the process fail on a deleted working directory (uv_cwd). A relative path is then
// resolved against the root, and a store under the root's home is refused by the trust rules unless
// it is this user's own.
function currentDirectory(): string {
  try {
    return process.cwd();
  } catch {
    return '/';
  }
}

function homeDirectory(): string {
  try {
    return os.homedir();
  } catch {
    return '/';
  }
}

/** The passwd name, else $USER (a uid without a passwd entry: os.userInfo throws). */
function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

type Listener = (...args: unknown[]) => void;

/** The stream itself, for what needs one (ora, the proxy's relay, serve's bounded output): Node's for a descriptor. */
export function nodeStream(out: OutStream): NodeJS.WritableStream {
  return out instanceof DescriptorOut ? out.stream : (out as unknown as NodeJS.WritableStream);
}

/**
 * stdout or stderr as knock's lines reach it: each write goes to the descriptor at once
 * (write(2), all of it), as Node's own stream writes a file, a terminal or a pipe on POSIX,
 * but without loading Node's stream modules, milliseconds of every knock's start-up. Anything
 * else asked of it (isTTY, columns, a listener other than 'error', the stream itself for ora or
 * the relay) makes Node's stream, and from then on every write goes there, in order; so does
 * the rest of a write the descriptor refused with EAGAIN (a non-blocking pipe that is full).
 * A failed write is told to the 'error' listeners on the next tick, as the stream tells it;
 * later writes are dropped, as a stream that failed drops them.
 */
export class DescriptorOut implements OutStream {
  private real: NodeJS.WriteStream | undefined;
  private failed = false;
  private readonly onError: Listener[] = [];

  constructor(
    private readonly fd: number,
    private readonly open: () => NodeJS.WriteStream,
  ) {}

  /** Node's stream for this descriptor, made now if it was not. */
  get stream(): NodeJS.WriteStream {
    if (!this.real) {
      this.real = this.open();
      for (const listener of this.onError) this.real.on('error', listener);
    }
    return this.real;
  }

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  get columns(): number | undefined {
    return this.stream.columns;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.real) return this.real.write(chunk);
    if (this.failed) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return this.stream.write(bytes.subarray(done));
      this.failed = true;
      process.nextTick(() => {
        for (const listener of this.onError) listener(error);
      });
      return false;
    }
  }

  on(event: string, listener: Listener): this {
    if (event === 'error' && !this.real) this.onError.push(listener);
    else this.stream.on(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    this.stream.once(event, listener);
    return this;
  }

  listenerCount(event: string): number {
    return this.real ? this.real.listenerCount(event) : event === 'error' ? this.onError.length : 0;
  }
}

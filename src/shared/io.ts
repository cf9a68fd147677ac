// The process's side of the world, read here once and passed in, so that commands can be run
// with fakes: nothing else under src/ reads the environment, the working directory, the user,
// the pid or the host name (test/unit/shared/process-reads.test.ts holds that).
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
  return {
    // Each stream is made on first use (stdin, a pipe or a terminal, costs a few ms to set up,
    // and a knock never reads it).
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: currentDirectory(),
    homedir: process.env.HOME || homeDirectory(),
    uid: process.platform === 'win32' ? undefined : process.getuid?.(),
    tmpdir: os.tmpdir(),
    user: userName(),
    platform: process.platform,
    pid: process.pid,
    ppid: () => process.ppid,
    hostname: os.hostname(),
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

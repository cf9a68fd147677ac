// The close sequence, however the session ends. A detached child holds the read end of a
// pipe from the proxy; every way the proxy can end (exit, SIGHUP from ssh, Ctrl-C, SIGKILL,
// Windows' TerminateProcess) closes the write end, and at that EOF the child sends the
// close knocks of the plan it was given, already resolved. When the proxy handed the
// connection to ssh (fd-pass), a second line names it, and the child waits for that
// connection to end first. Both travel down the pipe, never on the command line (ps).
// This is the proxy's side (start it, feed it); the child's side is watchdog-run.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../shared/errors.js';
import type { KnockPlan } from '../knock/plan.js';
import type { SelfCommand } from './self.js';
import { WATCHDOG_COMMAND } from './watchdog-name.js';
import type { ConnectionId } from './connection-id.js';

/** The hidden command the watchdog child runs. */
export { WATCHDOG_COMMAND };

export interface WatchdogOptions {
  self: SelfCommand;
  spawn?: typeof spawn;
  /** Where there is no POSIX shell (win32), node starts at once. */
  platform: NodeJS.Platform;
  /** The proxy's environment, which the child inherits. */
  env: NodeJS.ProcessEnv;
}

export interface Watchdog {
  /** The connection was handed on: at EOF, wait for it to end before knocking. */
  watch(connection: ConnectionId): void;
  /** Lets the watchdog's node start now (see startWatchdog); this process ending does too. */
  start(): void;
  /** Closes the pipe: the close knock goes now (or once the watched connection ends). */
  release(): void;
  readonly pid: number | undefined;
}

/**
 * The small entry beside bin/knock that only sends a plan (a fraction of the CLI's start-up,
 * which the watchdog pays while ssh is busy with its handshake); else the CLI's hidden command.
 */
export function watchdogArgs(self: SelfCommand): string[] {
  try {
    const light = path.join(path.dirname(realpathSync(self.script)), 'knock-watchdog');
    if (existsSync(light)) return [light];
  } catch {
    // no such script: use the CLI
  }
  return [self.script, WATCHDOG_COMMAND];
}

/**
 * The watchdog is spawned before the first knock, so that a proxy killed in the middle still
 * closes, but where there is a POSIX shell it waits parked in `sh` (about a millisecond of
 * CPU) until start() or this process's end closes a pipe on its fd 3, and only then execs
 * node: its start-up (tens of ms of CPU) does not compete with the knock, the connect and the
 * hand-over on a busy machine. The plan is in its stdin pipe meanwhile.
 */
const PARK = 'read _ <&3; exec 3<&-; exec "$0" "$@"';

/** closePlans: one per family knocked, sent one after the other (see runWatchdog). */
export function startWatchdog(closePlans: KnockPlan | readonly KnockPlan[], options: WatchdogOptions): Watchdog {
  const run = options.spawn ?? spawn;
  const args = watchdogArgs(options.self);
  const parked = options.platform !== 'win32';
  // It makes no TLS connection: spare it the start-up cost of extra CA certificates.
  const env = { ...options.env };
  delete env.NODE_EXTRA_CA_CERTS;
  let child: ChildProcess;
  try {
    child = run(parked ? '/bin/sh' : options.self.node, parked ? ['-c', PARK, options.self.node, ...args] : args, {
      env,
      // Its own session and process group: Ctrl-C and ssh's SIGHUP reach the proxy, not it.
      detached: true,
      // Never ssh's stderr: a child holding it keeps `ssh ... 2>&1 | cat` open after the session.
      stdio: parked ? ['pipe', 'ignore', 'ignore', 'pipe'] : ['pipe', 'ignore', 'ignore'],
      windowsHide: true,
    });
  } catch (error) {
    throw new RuntimeError(`cannot start the close watchdog: ${(error as Error).message}`);
  }
  child.on('error', () => {});
  const wake = parked ? (child.stdio[3] as (NodeJS.WritableStream & { unref?: () => void; on(e: 'error', f: () => void): unknown }) | null | undefined) : undefined;
  wake?.on('error', () => {});
  child.stdin?.on('error', () => {});
  // One line, well under a pipe's buffer: written at once, read by the child whenever it starts.
  child.stdin?.write(JSON.stringify(closePlans) + '\n');
  // Neither the child nor its pipes may keep this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  wake?.unref?.();
  const start = () => wake?.end();
  return {
    pid: child.pid,
    watch: (connection) => child.stdin?.write(JSON.stringify({ watch: connection }) + '\n'),
    start,
    release: () => {
      start();
      child.stdin?.end();
    },
  };
}

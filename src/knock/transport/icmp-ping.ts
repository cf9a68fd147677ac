// The fallback ICMP knock, where no ICMP socket can be had: one echo request of the asked
// payload size from the system ping, started ahead of the deadline and woken at it.
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Armed, Destination, Outcome } from './transport.js';

/** How long an ICMP knock waits for its echo reply before ping is stopped. */
export const ICMP_SETTLE_MS = 150;

/** The system ping's arguments for one echo of `size` payload bytes, with TTL and source. */
export function pingCommand(platform: NodeJS.Platform, to: Destination, size: number): { command: string; args: string[] } {
  const ttl = to.ttl === undefined ? undefined : String(to.ttl);
  const flag = (name: string, value: string | undefined) => (value === undefined ? [] : [name, value]);
  switch (platform) {
    case 'win32':
      return {
        command: 'ping',
        args: ['-n', '1', '-l', String(size), '-w', '1000', ...flag('-i', ttl), ...flag('-S', to.source), ...(to.family === 6 ? ['-6'] : ['-4']), to.address],
      };
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
      return to.family === 6
        ? { command: 'ping6', args: ['-c', '1', '-s', String(size), ...flag('-h', ttl), ...flag('-S', to.source), to.address] }
        : { command: 'ping', args: ['-n', '-c', '1', '-s', String(size), '-t', '1', ...flag('-m', ttl), ...flag('-S', to.source), to.address] };
    default:
      // iputils and BusyBox: -t is the TTL, and the IPv6 hop limit with -6.
      return {
        command: 'ping',
        args: ['-n', '-c', '1', '-s', String(size), '-W', '1', ...flag('-t', ttl), ...flag('-I', to.source), ...(to.family === 6 ? ['-6'] : ['-4']), to.address],
      };
  }
}

export function findExecutable(command: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      try {
        accessSync(candidate, platform === 'win32' ? constants.F_OK : constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Linux counts every echo request a namespace sends (raw or ping socket) in
 * /proc/net/snmp{,6}: the only way to know, without capturing, that ping's packet left.
 */
export function readEchoCounter(family: 4 | 6): number | undefined {
  try {
    if (family === 4) {
      const lines = readFileSync('/proc/self/net/snmp', 'latin1').split('\n').filter((l) => l.startsWith('Icmp:'));
      const names = lines[0]?.split(/\s+/) ?? [];
      const values = lines[1]?.split(/\s+/) ?? [];
      const i = names.indexOf('OutEchos');
      return i > 0 && values[i] !== undefined ? Number(values[i]) : undefined;
    }
    const m = /^Icmp6OutEchos\s+(\d+)/m.exec(readFileSync('/proc/self/net/snmp6', 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Without the Linux counter, assume ping has sent its echo this long after it started. */
const PING_STARTUP_MS = 25;

/**
 * Starting a process costs milliseconds (2.5 ms median, up to 13 ms measured), so on POSIX a
 * shell is started ahead with ping's command line and waits for one line on its stdin: the
 * deadline costs a write and an exec (1.6 ms median). `&&`: if knock dies first, the shell
 * reads EOF and no ping is sent.
 */
export const PARKED_SHELL = 'read x && exec "$0" "$@"';

export async function armPing(size: number, to: Destination, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<Armed> {
  const { command, args } = pingCommand(platform, to, size);
  const executable = findExecutable(command, env, platform);
  if (!executable) throw new RuntimeError(`cannot send an ICMP knock: '${command}' is not on PATH (and no ICMP socket could be opened)`);
  // Loaded on first use, like dgram: child_process is among the costlier built-ins to load.
  const { spawn } = await import('node:child_process');
  const parked = platform !== 'win32';
  const start = () =>
    parked
      ? spawn('/bin/sh', ['-c', PARKED_SHELL, executable, ...args], { stdio: ['pipe', 'ignore', 'ignore'] })
      : spawn(executable, args, { stdio: 'ignore', windowsHide: true });
  let child: ChildProcess | undefined = parked ? start() : undefined;
  // Not holding the run open, and not an unhandled error, while it waits.
  child?.stdin?.on('error', () => {});
  return {
    cancel() {
      child?.kill();
    },
    fire() {
      const before = platform === 'linux' ? readEchoCounter(to.family) : undefined;
      if (child) child.stdin!.end('\n');
      else child = start();
      const running = child;
      let exited = running.exitCode !== null;
      let spawnError: Error | undefined;
      const exit = new Promise<number | null>((resolve) => {
        if (exited) resolve(running.exitCode);
        running.once('exit', (code) => {
          exited = true;
          resolve(code);
        });
        running.once('error', (error) => {
          exited = true;
          spawnError = error;
          resolve(null);
        });
      });
      const sent = new Promise<void>((resolve) => {
        const started = process.hrtime.bigint();
        const poll = () => {
          const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
          const counted = before !== undefined && (readEchoCounter(to.family) ?? before) > before;
          if (exited || counted || elapsedMs > (before === undefined ? PING_STARTUP_MS : 250)) resolve();
          else setImmediate(poll);
        };
        setImmediate(poll);
      });
      let timer: NodeJS.Timeout | undefined;
      let released = false;
      const outcome = (async (): Promise<Outcome> => {
        await sent;
        if (!released) timer = setTimeout(() => running.kill(), ICMP_SETTLE_MS);
        const code = await exit;
        clearTimeout(timer);
        if (spawnError) return { result: 'not-sent', detail: `cannot run ${command}: ${reasonOf(spawnError)}` };
        if (code === 0) return { result: 'reply', detail: 'from the system ping' };
        // iputils ping exits 2 when it could not send (no route, no permission), 1 for no
        // reply; other pings' codes mean other things (macOS: 2 is "sent, no reply").
        if (code === 2 && platform === 'linux') return { result: 'not-sent', detail: `${command} could not send it (exit 2)` };
        return { result: 'no-answer', detail: 'from the system ping' };
      })();
      return {
        sent,
        outcome,
        release() {
          // ping has sent its echo (or is about to): let it finish on its own, without us.
          released = true;
          clearTimeout(timer);
          running.unref();
        },
      };
    },
  };
}

// An ICMP knock: one echo request of the asked payload size, sent by the system ping.
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Armed, Destination, Outcome } from './transport.js';

/**
 * Whether ICMP knocks go out through a spawned ping, whose command line (`-s SIZE`: the knock
 * itself) any local user can read with ps while it runs. Today always; where knock can send
 * the echo from a socket of its own, not.
 */
export function icmpSizeShownInPs(_platform: NodeJS.Platform, _env: NodeJS.ProcessEnv): boolean {
  return true;
}

export const PING_ARGV_WARNING = "ICMP knocks are sent by the system ping, whose command line shows each knock's size to every local user (ps) while it runs";

/** How long an ICMP knock waits for its echo reply before ping is stopped. */
export const ICMP_SETTLE_MS = 150;

/** The system ping's arguments for one echo of `size` payload bytes. */
export function pingCommand(platform: NodeJS.Platform, to: Destination, size: number): { command: string; args: string[] } {
  switch (platform) {
    case 'win32':
      return { command: 'ping', args: ['-n', '1', '-l', String(size), '-w', '1000', ...(to.family === 6 ? ['-6'] : ['-4']), to.address] };
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
      return to.family === 6
        ? { command: 'ping6', args: ['-c', '1', '-s', String(size), to.address] }
        : { command: 'ping', args: ['-n', '-c', '1', '-s', String(size), '-t', '1', to.address] };
    default:
      return { command: 'ping', args: ['-n', '-c', '1', '-s', String(size), '-W', '1', ...(to.family === 6 ? ['-6'] : ['-4']), to.address] };
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

export async function armIcmp(size: number, to: Destination, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<Armed> {
  const { command, args } = pingCommand(platform, to, size);
  const executable = findExecutable(command, env, platform);
  if (!executable) throw new RuntimeError(`cannot send an ICMP knock: '${command}' is not on PATH`);
  // Loaded on first use, like dgram: child_process is among the costlier built-ins to load.
  const { spawn } = await import('node:child_process');
  return {
    cancel() {},
    fire() {
      const before = platform === 'linux' ? readEchoCounter(to.family) : undefined;
      const child = spawn(executable, args, { stdio: 'ignore', windowsHide: true });
      let exited = false;
      let spawnError: Error | undefined;
      const exit = new Promise<number | null>((resolve) => {
        child.once('exit', (code) => {
          exited = true;
          resolve(code);
        });
        child.once('error', (error) => {
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
      const outcome = (async (): Promise<Outcome> => {
        await sent;
        const timer = setTimeout(() => child.kill(), ICMP_SETTLE_MS);
        const code = await exit;
        clearTimeout(timer);
        if (spawnError) return { result: 'not-sent', detail: `cannot run ${command}: ${reasonOf(spawnError)}` };
        if (code === 0) return { result: 'reply' };
        // iputils ping exits 2 when it could not send (no route, no permission), 1 for no
        // reply; other pings' codes mean other things (macOS: 2 is "sent, no reply").
        if (code === 2 && platform === 'linux') return { result: 'not-sent', detail: `${command} could not send it (exit 2)` };
        return { result: 'no-answer' };
      })();
      return { sent, outcome };
    },
  };
}

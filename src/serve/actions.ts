// --on-open / --on-close and knockd.conf commands: %IP% replaced by the knocking address.
//
// The address is substituted literally, as knockd does, but only after a strict check: it must be
// an IP literal (isIP) made of hex digits, dots and colons only, none of which a shell treats
// specially. Literal substitution keeps knockd.conf commands working as written, including
// '%IP%' inside single quotes, where a "$KNOCK_IP" reference would not expand. The command also
// gets KNOCK_IP (and KNOCK_DOOR) in its environment for scripts that prefer that.
import { spawn } from 'node:child_process';
import { isIP } from '../shared/ip.js';
import { RuntimeError } from '../shared/errors.js';

export interface ActionRequest {
  /** The command as the user wrote it, %IP% already replaced. */
  command: string;
  env: Record<string, string>;
  /** Each line the command writes (stdout or stderr), as it comes. */
  onOutput?: (line: string) => void;
}

export interface RunningAction {
  /** The exit code, or -1 when the command could not start. */
  exit: Promise<number>;
  /** Stop waiting for it: knock serve may exit while the command still runs (as knockd's do). */
  release(): void;
}

export type ActionRunner = (request: ActionRequest) => RunningAction;

/** Throws unless `address` is an IP literal of the safe characters. */
export function checkAddress(address: string): string {
  if (isIP(address) === 0 || !/^[0-9A-Fa-f.:]+$/.test(address)) {
    throw new RuntimeError(`refusing to put '${address}' into a command: not a plain IP address`);
  }
  return address;
}

export function substituteIp(command: string, address: string): string {
  const ip = checkAddress(address);
  return command.replace(/%IP%/g, ip);
}

export function prepareAction(command: string, address: string, door: string, env: NodeJS.ProcessEnv): ActionRequest {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  return { command: substituteIp(command, address), env: { ...clean, KNOCK_IP: checkAddress(address), KNOCK_DOOR: door } };
}

/**
 * The real runner: the platform shell (sh -c, or cmd.exe on Windows), as knockd's system().
 * Its output comes back line by line (onOutput labels it and puts it on stderr), so that
 * stdout carries only events and every line says which command wrote it.
 */
/** Longest piece of a command's output held while waiting for its newline. */
const MAX_LINE = 64 * 1024;

export const shellRunner: ActionRunner = (request) => {
  const child = spawn(request.command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], env: request.env });
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      // A command that never ends a line still gets reported, in pieces, not held without bound.
      if (partial.length > MAX_LINE) {
        lines.push(partial);
        partial = '';
      }
      for (const line of lines) request.onOutput?.(line);
    });
    stream.on('end', () => {
      if (partial) request.onOutput?.(partial);
      partial = '';
    });
  }
  const exit = new Promise<number>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
  });
  return {
    exit,
    release: () => {
      // Still running when serve ends: let it finish on its own, with nothing of ours held open.
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.unref();
    },
  };
};

// The close sequence, however the session ends. A detached child holds the read end of a
// pipe from the proxy; every way the proxy can end (exit, SIGHUP from ssh, Ctrl-C, SIGKILL,
// Windows' TerminateProcess) closes the write end, and at that EOF the child sends the
// close knocks of the plan it was given, already resolved. The plan travels down that same
// pipe, never on the command line, where any local user could read the sequence with ps.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../shared/errors.js';
import { executePlan, type ExecuteOptions } from '../knock/execute.js';
import { formatKnock } from '../knock/tokens.js';
import type { KnockPlan } from '../knock/plan.js';
import type { SelfCommand } from './self.js';

/** The hidden command the watchdog child runs. */
export const WATCHDOG_COMMAND = '__close-watchdog';

export interface WatchdogOptions {
  self: SelfCommand;
  /** -v: the child may speak on our stderr; otherwise it is silent (it outlives the terminal's user). */
  verbose?: boolean;
  spawn?: typeof spawn;
}

export interface Watchdog {
  /** Closes the pipe: the close knock goes now rather than when this process ends. */
  release(): void;
  readonly pid: number | undefined;
}

/**
 * The small entry beside bin/knock that only sends a plan (a fraction of the CLI's start-up,
 * which the watchdog pays while ssh is busy with its handshake); else the CLI's hidden command.
 */
export function watchdogArgs(self: SelfCommand, verbose: boolean): string[] {
  const tail = verbose ? ['-v'] : [];
  try {
    const light = path.join(path.dirname(realpathSync(self.script)), 'knock-watchdog');
    if (existsSync(light)) return [light, ...tail];
  } catch {
    // no such script: use the CLI
  }
  return [self.script, WATCHDOG_COMMAND, ...tail];
}

export function startWatchdog(closePlan: KnockPlan, options: WatchdogOptions): Watchdog {
  const run = options.spawn ?? spawn;
  const args = watchdogArgs(options.self, Boolean(options.verbose));
  // It makes no TLS connection: spare it the start-up cost of extra CA certificates.
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  let child: ChildProcess;
  try {
    child = run(options.self.node, args, {
      env,
      // Its own session and process group: Ctrl-C and ssh's SIGHUP reach the proxy, not it.
      detached: true,
      stdio: ['pipe', 'ignore', options.verbose ? 'inherit' : 'ignore'],
      windowsHide: true,
    });
  } catch (error) {
    throw new RuntimeError(`cannot start the close watchdog: ${(error as Error).message}`);
  }
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  // One line, well under a pipe's buffer: written at once, read by the child whenever it starts.
  child.stdin?.write(JSON.stringify(closePlan) + '\n');
  // Neither the child nor its pipe may keep this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    pid: child.pid,
    release: () => child.stdin?.end(),
  };
}

/** The watchdog's side: validates the plan it was handed. */
export function parseWatchdogPlan(text: string): KnockPlan {
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch {
    throw new RuntimeError('watchdog: the plan is not JSON');
  }
  const p = plan as Partial<KnockPlan>;
  if (!p || typeof p.address !== 'string' || (p.family !== 4 && p.family !== 6) || !Array.isArray(p.knocks)) {
    throw new RuntimeError('watchdog: the plan lacks address, family or knocks');
  }
  return plan as KnockPlan;
}

/**
 * Everything `input` carries until EOF (or an error, which means the same: the writer is
 * gone). The proxy writes the plan at once and then nothing until it ends.
 */
export function readUntilEof(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => resolve(text);
    input.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
    input.once('end', done);
    input.once('close', done);
    input.once('error', done);
    input.resume();
  });
}

export interface WatchdogIo {
  stdin: NodeJS.ReadableStream;
  /** Where -v reports the close knocks. */
  debug?: (line: string) => void;
  execute?: ExecuteOptions;
}

/** The watchdog's whole life: read the close plan from stdin until EOF, then send it. */
export async function runWatchdog(io: WatchdogIo): Promise<number> {
  const plan = parseWatchdogPlan((await readUntilEof(io.stdin)).split('\n')[0] ?? '');
  const report = await executePlan(plan, {
    onWait: () => io.debug?.(`close watchdog: waiting for another knock sequence to ${plan.address} to finish`),
    ...io.execute,
  });
  report.knocks.forEach((k, i) => io.debug?.(`close knock ${i + 1}/${report.knocks.length} ${formatKnock(k)} -> ${plan.address}: ${k.result}`));
  return 0;
}

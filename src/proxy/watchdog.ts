// The close sequence, however the session ends. A detached child holds the read end of a
// pipe from the proxy; every way the proxy can end (exit, SIGHUP from ssh, Ctrl-C, SIGKILL,
// Windows' TerminateProcess) closes the write end, and at that EOF the child sends the
// close knocks of the plan it was given, already resolved.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../errors.js';
import { executePlan, type ExecuteOptions } from '../execute.js';
import { formatKnock } from '../knocks.js';
import type { KnockPlan } from '../plan.js';
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
export function watchdogArgs(self: SelfCommand, plan: KnockPlan, verbose: boolean): string[] {
  const tail = [JSON.stringify(plan), ...(verbose ? ['-v'] : [])];
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
  const args = watchdogArgs(options.self, closePlan, Boolean(options.verbose));
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

/** Resolves when `input` reaches EOF (or fails, which means the same: the writer is gone). */
export function untilEof(input: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    input.on('data', () => {});
    input.once('end', () => resolve());
    input.once('close', () => resolve());
    input.once('error', () => resolve());
    input.resume();
  });
}

export interface WatchdogIo {
  stdin: NodeJS.ReadableStream;
  /** Where -v reports the close knocks. */
  debug?: (line: string) => void;
  execute?: ExecuteOptions;
}

/** The watchdog's whole life: wait for EOF on stdin, then send the close plan. */
export async function runWatchdog(planJson: string, io: WatchdogIo): Promise<number> {
  const plan = parseWatchdogPlan(planJson);
  await untilEof(io.stdin);
  const report = await executePlan(plan, io.execute ?? {});
  report.knocks.forEach((k, i) => io.debug?.(`close knock ${i + 1}/${report.knocks.length} ${formatKnock(k)} -> ${plan.address}: ${k.result}`));
  return 0;
}

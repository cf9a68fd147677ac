// The close sequence, however the session ends. A detached child holds the read end of a
// pipe from the proxy; every way the proxy can end (exit, SIGHUP from ssh, Ctrl-C, SIGKILL,
// Windows' TerminateProcess) closes the write end, and at that EOF the child sends the
// close knocks of the plan it was given, already resolved.
import { spawn, type ChildProcess } from 'node:child_process';
import { RuntimeError } from '../errors.js';
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

export function startWatchdog(closePlan: KnockPlan, options: WatchdogOptions): Watchdog {
  const run = options.spawn ?? spawn;
  const args = [options.self.script, WATCHDOG_COMMAND, JSON.stringify(closePlan), ...(options.verbose ? ['-v'] : [])];
  let child: ChildProcess;
  try {
    child = run(options.self.node, args, {
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

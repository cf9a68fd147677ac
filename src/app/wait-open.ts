// knock open NAME --wait PORT[,PORT]: return only once the door really is open, so that
// `knock open x --wait 22 && ssh x` never races the firewall.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from './context.js';
import { UsageError } from '../shared/errors.js';
import { formatServicePort } from '../store/profiles.js';
import type { KnockPlan } from '../knock/plan.js';
import { startSpinner } from './spinner.js';
import { parsePortText } from '../knock/tokens.js';
import { waitForPorts, waitForPortsAny } from '../knock/ready.js';
import { hostPort } from '../shared/address.js';

export const DEFAULT_WAIT_TIMEOUT_S = 10;
/** ssh's port: what a bare --wait waits for when neither profile nor ~/.ssh/config says. */
const DEFAULT_WAIT_PORT = 22;

export interface WaitArgs {
  wait?: string;
  waitTimeout?: number;
}

export function waitOptions(yargs: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return yargs
    .option('wait', {
      type: 'string',
      describe: "after knocking, wait until these ports accept a connection (bare: the profile's port, else 22)",
    })
    .option('wait-timeout', { type: 'number', default: DEFAULT_WAIT_TIMEOUT_S, describe: 'seconds --wait may take before exit 1', requiresArg: true });
}

export function parseWaitPorts(value: string, fallback: number | undefined): number[] {
  if (value.trim() === '') return [fallback ?? DEFAULT_WAIT_PORT];
  return value.split(',').map((part) => parsePortText(part, '--wait:'));
}

export interface WaitPlan {
  ports: number[];
  timeoutMs: number;
}

/** --wait as data, validated before any knock leaves; undefined without --wait. */
export function planWait(args: WaitArgs, profilePort: number | undefined, profileProtocol?: 'udp'): WaitPlan | undefined {
  if (args.wait === undefined) return undefined;
  // A UDP service gives no sign of being open (no handshake, and silence is what a DROP gives too):
  // refused rather than waited for, so that `knock open vpn --wait && ...` cannot go on unopened.
  if (profileProtocol === 'udp' && args.wait.trim() === '' && profilePort !== undefined) {
    throw new UsageError(`--wait: service ${formatServicePort(profilePort, profileProtocol)} is UDP, which --wait cannot probe (it connects over TCP); knock without --wait, or name a TCP port: --wait PORT`);
  }
  const ports = parseWaitPorts(args.wait, profilePort);
  const timeout = Number(args.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_S);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--wait-timeout ${JSON.stringify(args.waitTimeout)} must be a number of seconds > 0`);
  return { ports, timeoutMs: Math.round(timeout * 1000) };
}

export interface WaitResult {
  address: string;
  ports: number[];
  open: boolean;
  /** From the end of the knocks until every port accepted (or the wait gave up). */
  afterMs: number;
  error?: string;
}

/**
 * Waits, on the plan's one resolved address, until every port accepts; prints the result line
 * (not with --json: the result goes into the caller's JSON). On timeout, `onResult` still hears
 * the outcome before the error is thrown.
 */
export async function waitUntilOpen(ctx: Context, planOrPlans: KnockPlan | readonly KnockPlan[], wait: WaitPlan | undefined, onResult: (result: WaitResult) => void = () => {}): Promise<void> {
  if (!wait) return;
  if (Array.isArray(planOrPlans) && planOrPlans.length > 1) return waitUntilOpenAny(ctx, planOrPlans, wait, onResult);
  const plan: KnockPlan = Array.isArray(planOrPlans) ? planOrPlans[0]! : (planOrPlans as KnockPlan);
  const { ports } = wait;
  const what = ports.map((p) => hostPort(plan.address, p)).join(', ');
  const spinner = await startSpinner(ctx.io, `waiting for ${what}`, { json: ctx.args.json, quiet: ctx.args.quiet });
  const started = performance.now();
  const result = (open: boolean, error?: string): WaitResult => ({
    address: plan.address,
    ports,
    open,
    afterMs: Math.round((performance.now() - started) * 10) / 10,
    ...(error ? { error } : {}),
  });
  try {
    await waitForPorts({ address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}) }, ports, wait.timeoutMs, {
      onRetry: (attempt, reason) => ctx.debug(`wait: attempt ${attempt}: ${reason}`),
    });
  } catch (error) {
    spinner.fail();
    onResult(result(false, (error as Error).message));
    throw error;
  }
  const done = result(true);
  // The result line below says it; on a terminal the spinner just goes away.
  spinner.stop();
  onResult(done);
  ctx.out(`${what}: open after ${formatElapsed(done.afterMs)}`);
}

/** Tenths of a second, and milliseconds below a tenth: "0.4 s", "2.3 s", "0.012 s". */
export function formatElapsed(ms: number): string {
  return ms >= 100 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(3)} s`;
}

/** --wait for a dual-stack host: every family's address raced per port; the result names the winner. */
async function waitUntilOpenAny(ctx: Context, plans: readonly KnockPlan[], wait: WaitPlan, onResult: (result: WaitResult) => void): Promise<void> {
  const { ports } = wait;
  const what = ports.map((p) => plans.map((plan) => hostPort(plan.address, p)).join(' or ')).join(', ');
  const spinner = await startSpinner(ctx.io, `waiting for ${what}`, { json: ctx.args.json, quiet: ctx.args.quiet });
  const started = performance.now();
  const result = (address: string, open: boolean, error?: string): WaitResult => ({
    address,
    ports,
    open,
    afterMs: Math.round((performance.now() - started) * 10) / 10,
    ...(error ? { error } : {}),
  });
  let won;
  try {
    won = await waitForPortsAny(
      plans.map((plan) => ({ address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}) })),
      ports,
      wait.timeoutMs,
      { onRetry: (attempt, reason) => ctx.debug(`wait: attempt ${attempt}: ${reason}`) },
    );
  } catch (error) {
    spinner.fail();
    onResult(result(plans[0]!.address, false, (error as Error).message));
    throw error;
  }
  const done = { ...result(won.address, true), family: won.family, knocked: plans.map((p) => p.family) };
  spinner.stop();
  onResult(done);
  ctx.debug(`wait: knocked ${plans.map((p) => `IPv${p.family} ${p.address}`).join(' and ')}; IPv${won.family} connected`);
  ctx.out(`${ports.map((p) => hostPort(won.address, p)).join(', ')}: open after ${formatElapsed(done.afterMs)}`);
}

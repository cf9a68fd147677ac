// The close watchdog's own side: read the close plan (and, after an fd-pass, the connection
// to wait for) from stdin until EOF, wait for that connection to end, send the plan. The
// proxy's side, which starts it and writes to it, is watchdog.ts.
import { RuntimeError } from '../shared/errors.js';
import { executePlan, type ExecuteOptions } from '../knock/execute.js';
import { formatKnock } from '../knock/tokens.js';
import type { KnockPlan } from '../knock/plan.js';
import { isConnectionId, type ConnectionId } from './connection-id.js';
import { waitForConnectionEnd, type WatchDeps } from './connection-watch.js';

/** What the proxy told the watchdog: the close plan, and the connection to wait for, if any. */
export function parseWatchdogInput(text: string): { plan: KnockPlan; then?: KnockPlan[]; watch?: ConnectionId } {
  const [first = '', second = ''] = text.split('\n');
  const [plan, ...later] = parseWatchdogPlans(first);
  const then = later.length > 0 ? { then: later } : {};
  let watch: unknown;
  try {
    watch = second ? (JSON.parse(second) as { watch?: unknown }).watch : undefined;
  } catch {
    watch = undefined;
  }
  // A line cut short (the proxy killed while writing it) cannot name a connection: knock now.
  return isConnectionId(watch) ? { plan: plan!, ...then, watch } : { plan: plan!, ...then };
}

/** One plan, or (a dual-stack host) a list of them, one per family. */
function parseWatchdogPlans(text: string): KnockPlan[] {
  if (!text.startsWith('[')) return [parseWatchdogPlan(text)];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new RuntimeError('watchdog: the plan is not JSON');
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > 2) throw new RuntimeError('watchdog: the plan lacks address, family or knocks');
  return list.map((each) => parseWatchdogPlan(JSON.stringify(each)));
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
  /** The transport and lock to send with (the watchdog entry makes the system's). */
  execute: ExecuteOptions;
  watch?: WatchDeps;
}

/**
 * The watchdog's whole life: read the close plan from stdin until EOF; if the proxy passed
 * the connection on, wait until it has ended; then send the plan.
 */
export async function runWatchdog(io: WatchdogIo): Promise<number> {
  const { plan: first, then = [], watch } = parseWatchdogInput(await readUntilEof(io.stdin));
  if (watch) {
    io.debug?.(`watching ${watch.local}:${watch.localPort} -> ${watch.remote}:${watch.remotePort}`);
    await waitForConnectionEnd(watch, io.watch);
  }
  // Each family's close whole before the next starts (knockd loses interleaved sequences).
  for (const plan of [first, ...then]) {
    const report = await executePlan(plan, {
      onWait: () => io.debug?.(`close watchdog: waiting for another knock sequence to ${plan.address} to finish`),
      ...io.execute,
    });
    report.knocks.forEach((k, i) => io.debug?.(`close knock ${i + 1}/${report.knocks.length} ${formatKnock(k)} -> ${plan.address}: ${k.result}`));
  }
  return 0;
}

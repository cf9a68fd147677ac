// Sends a plan (or prints it for --dry-run) and reports the result as text or JSON.
import type { Context } from './context.js';
import { executePlan, type ExecuteOptions, type KnockReport } from '../knock/execute.js';
import { formatKnock, type Knock } from '../knock/tokens.js';
import type { Outcome } from '../knock/transport/transport.js';
import { countKnocks, formatPlan, planDurationMs, planToJson, type KnockPlan } from '../knock/plan.js';
import { startSpinner } from './spinner.js';
import { KnockError, RuntimeError } from '../shared/errors.js';
import { abortableClock, abortableTransport, stopSignal } from '../knock/abortable.js';
import type { SpaPlan } from '../spa/plan.js';
import { isSpaPlan } from '../spa/kind.js';

export interface SendOptions {
  dryRun?: boolean;
  /** Proxy mode: stdout is the connection, so nothing but errors may be written. */
  silent?: boolean;
  /** --json with more to say after the knocks (--wait): the object is returned, not printed. */
  holdJson?: boolean;
  /** The address stays held past the last knock until this settles (--wait: the wait's end; see executePlan). */
  holdUntil?: Promise<unknown>;
}

export interface SendResult {
  report?: KnockReport;
  /** The --json result, when held (holdJson). */
  json?: Record<string, unknown>;
}

export async function sendPlan(ctx: Context, plan: KnockPlan, options: SendOptions = {}): Promise<SendResult> {
  const emit = (json: Record<string, unknown>): SendResult => {
    if (options.holdJson) return { json };
    ctx.json(json);
    return {};
  };
  if (isSpaPlan(plan)) return sendSpa(ctx, plan, options, emit);
  if (plan.seqTimeout !== undefined && planDurationMs(plan) > plan.seqTimeout * 1000) {
    ctx.warn(`the ${plan.action} sequence of '${plan.profile}' takes ${planDurationMs(plan)} ms, longer than its seq_timeout of ${plan.seqTimeout} s`);
  }
  if (options.dryRun) {
    if (ctx.args.json) return emit({ ...planToJson(plan), dryRun: true });
    // Said in words: fwknop users read -n as "named stanza" and would think they knocked.
    ctx.io.stdout.write(`${formatPlan(plan)}dry run: nothing was sent\n`);
    return {};
  }
  // Only a sequence long enough to notice gets a spinner (and only on a TTY: see spinner.ts).
  const what = `knocking ${plan.profile ?? plan.host} (${countKnocks(plan.knocks.length)} over ${planDurationMs(plan)} ms)`;
  const spinner =
    planDurationMs(plan) > SPINNER_MIN_MS
      ? await startSpinner(ctx.io, what, {
          json: ctx.args.json,
          quiet: ctx.args.quiet,
          proxy: options.silent,
        })
      : undefined;
  // -v lines go out as each knock leaves and as its outcome settles, above the spinner.
  const verbose = Boolean(ctx.args.verbose && !ctx.args.quiet);
  const say = (line: string) => (spinner ? spinner.log(line) : ctx.debug(line));
  let report: KnockReport;
  // Ctrl-C half-way: no further knock leaves, and the user hears how far the sequence got.
  const interrupt = stopOnInterrupt(ctx.executeOptions(), !options.silent);
  let sent = 0;
  try {
    report = await executePlan(plan, {
      ...interrupt.options,
      // Only these show what came back; otherwise the run ends as the last knock leaves.
      outcomes: Boolean(ctx.args.verbose || ctx.args.json),
      ...(options.holdUntil ? { holdUntil: options.holdUntil } : {}),
      onSent: (i, knock, sentMs) => {
        sent++;
        if (verbose) say(sentLine(plan, i, knock, sentMs));
        spinner?.update(`${what}: ${i + 1} sent`);
      },
      ...(verbose ? { onOutcome: (i: number, outcome: Outcome) => say(outcomeLine(plan, i, outcome)) } : {}),
    });
  } catch (error) {
    if (interrupt.interrupted()) throw interruptedError(plan, sent);
    throw error;
  } finally {
    interrupt.release();
    spinner?.stop();
  }
  // After the fact: a ping that never ran (not on PATH: the run failed before it) showed nothing.
  await warnIfPingShowsSizes(ctx, plan);
  report.knocks.forEach((k, i) => {
    if (k.result === 'accepted' && !(k.protocol === 'tcp' && k.connect)) ctx.warn(`knock ${i + 1} was accepted by ${plan.address}: an open port completes a handshake, so more than one packet went there`);
  });
  const unsent = notSentError(plan, report);
  if (options.silent) {
    if (unsent) throw unsent;
    return { report };
  }
  const result: SendResult = { report };
  if (ctx.args.json) Object.assign(result, emit(reportToJson(plan, report)));
  else if (!unsent) ctx.out(reportLine(plan, report));
  if (unsent) throw unsent;
  return result;
}

/**
 * Ctrl-C (SIGINT) heard while `execute`'s knocks go (when `listen`): its transport and clock
 * stop at it, so no further knock leaves; `interrupted` says whether it came; `release` stops listening.
 */
export function stopOnInterrupt(execute: ExecuteOptions, listen = true): { options: ExecuteOptions; interrupted: () => boolean; release: () => void } {
  const interrupt = stopSignal();
  const stop = () => interrupt.abort(new Error('SIGINT'));
  if (listen) process.once('SIGINT', stop);
  return {
    options: { ...execute, transport: abortableTransport(execute.transport, interrupt.signal), clock: abortableClock(execute.clock, interrupt.signal) },
    interrupted: () => interrupt.signal.aborted,
    release: () => process.removeListener('SIGINT', stop),
  };
}

/** The shell's code for a run ended by SIGINT (128 + 2). */
export const INTERRUPTED_EXIT = 130;

/** Ctrl-C during a sequence: how many knocks left and how many never will. */
export function interruptedError(plan: KnockPlan, sent: number): KnockError {
  const total = plan.knocks.length;
  const who = plan.profile ? ` (${plan.action} ${plan.profile})` : '';
  return new KnockError(`interrupted: ${sent} of ${countKnocks(total)}${who} sent to ${plan.address}, ${total - sent} not sent (the server saw part of the sequence only)`, INTERRUPTED_EXIT);
}

/** An SPA profile's one packet: printed (dry run), or sent and reported as a knock plan is. */
async function sendSpa(ctx: Context, plan: SpaPlan, options: SendOptions, emit: (json: Record<string, unknown>) => SendResult): Promise<SendResult> {
  // Loaded only for an SPA profile: a knock's path has no use for it.
  const { formatSpaPlan, sendSpaPlan, spaPlanToJson, spaReportLine, spaSentLine } = await import('../spa/plan.js');
  if (options.dryRun) {
    if (ctx.args.json) return emit({ ...spaPlanToJson(plan), dryRun: true });
    ctx.io.stdout.write(`${formatSpaPlan(plan)}dry run: nothing was sent\n`);
    return {};
  }
  const sent = await sendSpaPlan(plan);
  if (ctx.args.verbose && !ctx.args.quiet) ctx.debug(spaSentLine(plan, sent));
  if (options.silent) return {};
  if (ctx.args.json) return emit({ ...spaPlanToJson(plan), dryRun: false, elapsedMs: round(sent.elapsedMs), bytes: sent.bytes });
  ctx.out(spaReportLine(plan));
  return {};
}

/** A sent plan as --json prints it: the plan, with when each knock left and what came back. */
export function reportToJson(plan: KnockPlan, report: KnockReport): Record<string, unknown> {
  const json = planToJson(plan);
  return {
    ...json,
    dryRun: false,
    elapsedMs: round(report.elapsedMs),
    knocks: report.knocks.map((k, i) => ({
      ...(json.knocks as object[])[i],
      sentMs: round(k.sentMs),
      result: k.result,
      ...(k.detail ? { detail: k.detail } : {}),
    })),
  };
}

/** A sent plan as one result line: "knocked office (198.51.100.7): 3 knocks in 200.1 ms". */
export function reportLine(plan: KnockPlan, report: KnockReport): string {
  const who = plan.profile ? `${plan.action === 'close' ? 'closed' : 'knocked'} ${plan.profile}` : `knocked ${plan.host}`;
  const via = plan.host === plan.address ? '' : ` (${plan.address})`;
  return `${who}${via}: ${countKnocks(report.knocks.length)} in ${report.elapsedMs.toFixed(1)} ms`;
}

/**
 * A knock the local kernel would not send (no route, a local firewall's EPERM, ...) fails the
 * run: the sequence cannot have worked. A refused or unanswered knock did leave: normal.
 */
export function notSentError(plan: KnockPlan, report: KnockReport): RuntimeError | undefined {
  const i = report.knocks.findIndex((k) => k.result === 'not-sent');
  if (i < 0) return undefined;
  const k = report.knocks[i]!;
  return new RuntimeError(`knock ${i + 1}/${report.knocks.length} (${formatKnock(k)}) to ${plan.address} could not be sent: ${k.detail ?? 'refused by the local system'}`);
}

const warnedOfPing = new WeakSet<Context>();

/**
 * Once per run, before ICMP knocks leave through a spawned ping (no ICMP socket of our own to
 * be had): its argv is public. Only with the real transport (a test's fake spawns nothing).
 */
export async function warnIfPingShowsSizes(ctx: Context, plan: KnockPlan): Promise<void> {
  if (warnedOfPing.has(ctx) || ctx.services.transport || !plan.knocks.some((k) => k.protocol === 'icmp')) return;
  // Loaded only for a plan with ICMP knocks.
  const { icmpSizeShownInPs, PING_ARGV_WARNING } = await import('../knock/transport/icmp.js');
  if (!(await icmpSizeShownInPs(plan.family, { platform: ctx.io.platform, env: ctx.io.env, pid: ctx.io.pid }))) return;
  warnedOfPing.add(ctx);
  ctx.warn(PING_ARGV_WARNING);
}

/** Sequences shorter than this end before a spinner would be seen. */
export const SPINNER_MIN_MS = 300;

/** A knock as -v reports it leaving: which, where, and when. */
export function sentLine(plan: KnockPlan, i: number, knock: Knock, sentMs: number): string {
  return `knock ${i + 1}/${plan.knocks.length} ${formatKnock(knock)} -> ${plan.address} at +${sentMs.toFixed(2)} ms`;
}

/** What came back for it, once known. */
export function outcomeLine(plan: KnockPlan, i: number, outcome: Outcome): string {
  return `knock ${i + 1}/${plan.knocks.length} ${formatKnock(plan.knocks[i]!)}: ${outcome.result}${outcome.detail ? ` (${outcome.detail})` : ''}`;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

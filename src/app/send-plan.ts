// Sends a plan (or prints it for --dry-run) and reports the result as text or JSON.
import type { Context } from './context.js';
import { executePlan, type KnockReport } from '../knock/execute.js';
import { formatKnock } from '../knock/tokens.js';
import { countKnocks, formatPlan, planDurationMs, planToJson, type KnockPlan } from '../knock/plan.js';
import { startSpinner } from './spinner.js';

export interface SendOptions {
  dryRun?: boolean;
  /** Proxy mode: stdout is the connection, so nothing but errors may be written. */
  silent?: boolean;
  /** --json with more to say after the knocks (--wait): the object is returned, not printed. */
  holdJson?: boolean;
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
  if (plan.seqTimeout !== undefined && planDurationMs(plan) > plan.seqTimeout * 1000) {
    ctx.warn(`the ${plan.action} sequence of '${plan.profile}' takes ${planDurationMs(plan)} ms, longer than its seq_timeout of ${plan.seqTimeout} s`);
  }
  if (options.dryRun) {
    if (ctx.args.json) return emit({ ...planToJson(plan), dryRun: true });
    ctx.io.stdout.write(formatPlan(plan));
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
  let report: KnockReport;
  try {
    report = await executePlan(plan, {
      ...ctx.executeOptions(),
      ...(spinner ? { onSent: (i: number) => spinner.update(`${what}: ${i + 1} sent`) } : {}),
    });
  } finally {
    spinner?.stop();
  }
  report.knocks.forEach((k, i) => {
    ctx.debug(sentKnockLine(plan, report, i));
    if (k.result === 'accepted') ctx.warn(`knock ${i + 1} was accepted by ${plan.address}: an open port completes a handshake, so more than one packet went there`);
  });
  if (options.silent) return { report };
  if (ctx.args.json) {
    const json = planToJson(plan);
    return { report, ...emit({
      ...json,
      dryRun: false,
      elapsedMs: round(report.elapsedMs),
      knocks: report.knocks.map((k, i) => ({
        ...(json.knocks as object[])[i],
        sentMs: round(k.sentMs),
        result: k.result,
        ...(k.detail ? { detail: k.detail } : {}),
      })),
    }) };
  } else {
    const who = plan.profile ? `${plan.action === 'close' ? 'closed' : 'knocked'} ${plan.profile}` : `knocked ${plan.host}`;
    const via = plan.host === plan.address ? '' : ` (${plan.address})`;
    ctx.out(`${who}${via}: ${countKnocks(report.knocks.length)} in ${report.elapsedMs.toFixed(1)} ms`);
  }
  return { report };
}

/** Sequences shorter than this end before a spinner would be seen. */
export const SPINNER_MIN_MS = 300;

/** One knock as -v reports it: which, where, when it left, and what came back. */
export function sentKnockLine(plan: KnockPlan, report: KnockReport, i: number): string {
  const k = report.knocks[i]!;
  return `knock ${i + 1}/${report.knocks.length} ${formatKnock(k)} -> ${plan.address} at +${k.sentMs.toFixed(2)} ms: ${k.result}`;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

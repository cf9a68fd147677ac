// knock @GROUP: every member planned, validated and resolved before anything is sent, then all
// sent at once, each member on its own schedule from one common start (knock/execute-many.ts).
import type { Context } from './context.js';
import { ConfigError, KnockError, reasonOf } from '../shared/errors.js';
import { executePlans } from '../knock/execute-many.js';
import { countKnocks, formatPlan, planToJson, type KnockPlan, type PlanAction } from '../knock/plan.js';
import { prepareTarget, takeOneTime, type PreparedTarget } from './target.js';
import { INTERRUPTED_EXIT, interruptedError, notSentError, reportLine, reportToJson, sentLine, stopOnInterrupt } from './send-plan.js';
import { formatSpaPlan, sendSpaPlan, spaPlanToJson, spaReportLine, spaSentLine, type SpaPlan } from '../spa/plan.js';
import { isSpaPlan } from '../spa/kind.js';
import type { KnockReport } from '../knock/execute.js';

export interface GroupRequest {
  /** Without the '@'. */
  name: string;
  action: Extract<PlanAction, 'open' | 'close'>;
  delay?: number;
  dryRun?: boolean;
}

/**
 * A knock profile with nothing to close (undefined: not a profile, which is another error). An
 * SPA profile is not skipped: its close says that the access expires on the server.
 */
export function lacksClose(profile: { close?: unknown; spa?: unknown } | undefined): boolean {
  return profile !== undefined && profile.close === undefined && profile.spa === undefined;
}

/** Every member's plan; one member that cannot be planned fails them all, naming it. */
export async function prepareGroup(ctx: Context, request: GroupRequest): Promise<PreparedTarget[]> {
  const store = await ctx.store();
  const all = store.groups?.get(request.name);
  if (!all) {
    const known = [...(store.groups?.keys() ?? [])].map((g) => `@${g}`).join(', ');
    throw new ConfigError(`unknown group '@${request.name}'${store.file ? ` in ${store.file}` : ''}${known ? ` (groups: ${known})` : ''}`);
  }
  // A group's close closes what can be closed: a member without a close sequence is skipped,
  // said on stderr (a member that is no profile at all still fails the run below).
  const members = request.action === 'close' ? all.filter((m) => !lacksClose(store.profiles.get(m))) : all;
  const skipped = all.filter((m) => !members.includes(m));
  if (members.length === 0) throw new ConfigError(`group @${request.name}: no member has a close sequence (${all.join(', ')})${store.file ? ` in ${store.file}` : ''}`);
  if (skipped.length > 0 && !ctx.args.quiet) {
    ctx.io.stderr.write(`group @${request.name}: skipping ${skipped.join(', ')}: no close sequence\n`);
  }
  const named = (member: string) => (error: unknown) => {
    // The same error (class, exit code), with the member named first.
    if (error instanceof KnockError) error.message = `group @${request.name}: ${member}: ${error.message}`;
    throw error;
  };
  // One-time lines are only peeked here: a member failing to resolve must not burn another's line.
  const prepared = await Promise.all(
    members.map((member) =>
      prepareTarget(ctx, { target: member, action: request.action, peek: true, ...(request.dryRun ? { dryRun: true } : {}), ...(request.delay !== undefined ? { delay: request.delay } : {}) }).catch(named(member)),
    ),
  );
  // Two members at one address would interleave their sequences there, and the server would
  // complete neither (the same reason one address takes one sequence at a time).
  const byAddress = new Map<string, string>();
  for (const [i, p] of prepared.entries()) {
    if (p.plan.unresolved !== undefined) continue; // a dry run's name that did not resolve
    // An SPA member's close sends nothing: it goes nowhere.
    if (p.spaClose) continue;
    const other = byAddress.get(p.plan.address);
    if (other !== undefined) throw new ConfigError(`group @${request.name}: ${other} and ${members[i]} both knock ${p.plan.address}; their sequences would interleave (knock them one after the other)`);
    byAddress.set(p.plan.address, members[i]!);
  }
  if (request.dryRun) return prepared;
  const taken: PreparedTarget[] = [];
  for (const [i, p] of prepared.entries()) taken.push(await takeOneTime(p).catch(named(members[i]!)));
  return taken;
}

/** Prints the plans (dry run) or sends them all at once; exit 1 when any member failed to send. */
export async function sendGroup(ctx: Context, prepared: PreparedTarget[], dryRun: boolean): Promise<number> {
  // A member knocking both families is two plans, each on its own schedule.
  const plans = prepared.flatMap((p) => p.plans);
  // SPA members' closes: nothing to send, each said once (in the JSON as an entry of its own).
  const notes = prepared.filter((p) => p.spaClose);
  const noteJson = notes.map((p) => ({ action: 'close', profile: p.plan.profile, kind: 'spa', sent: false, note: p.spaClose }));
  if (!ctx.args.json) for (const p of notes) ctx.out(p.spaClose!);
  if (dryRun) {
    if (ctx.args.json) ctx.json([...plans.map((plan) => (isSpaPlan(plan) ? { ...spaPlanToJson(plan), dryRun: true } : { ...planToJson(plan), dryRun: true })), ...noteJson]);
    else ctx.io.stdout.write(`${plans.map((plan) => (isSpaPlan(plan) ? formatSpaPlan(plan) : formatPlan(plan))).join('')}dry run: nothing was sent\n`);
    return 0;
  }
  // Knock members on one common start; SPA members' packets at that start too (one each).
  const knockPlans = plans.filter((plan) => !isSpaPlan(plan));
  const spaPlans = plans.filter(isSpaPlan);
  const spaSends = Promise.allSettled(spaPlans.map((plan) => sendSpaPlan(plan)));
  // Ctrl-C half-way: no further knock leaves, and each member's host hears how far it got.
  const interrupt = stopOnInterrupt(ctx.executeOptions());
  const sent = knockPlans.map(() => 0);
  let knockResults: PromiseSettledResult<KnockReport>[] | undefined;
  try {
    knockResults = await executePlans(knockPlans, { ...interrupt.options, outcomes: Boolean(ctx.args.verbose || ctx.args.json), onSent: (p) => sent[p]!++ });
  } catch (error) {
    if (!interrupt.interrupted()) throw error;
  } finally {
    interrupt.release();
  }
  const spaResults = await spaSends;
  const json: Record<string, unknown>[] = [];
  const failedNames = new Set<string | undefined>();
  const failed = (plan: KnockPlan, error: unknown) => {
    failedNames.add(plan.profile);
    const reason = reasonOf(error);
    if (ctx.args.json) json.push({ ...(isSpaPlan(plan) ? spaPlanToJson(plan) : planToJson(plan)), dryRun: false, error: reason });
    else ctx.out(`failed ${plan.profile}: ${reason}`);
  };
  for (const [i, result] of spaResults.entries()) {
    const plan = spaPlans[i]!;
    if (result.status === 'rejected') {
      failed(plan, result.reason);
      continue;
    }
    ctx.debug(`${plan.profile}: ${spaSentLine(plan, result.value)}`);
    if (ctx.args.json) json.push({ ...spaPlanToJson(plan), dryRun: false, elapsedMs: Math.round(result.value.elapsedMs * 1000) / 1000, bytes: result.value.bytes });
    else ctx.out(spaReportLine(plan));
  }
  if (!knockResults) {
    // Per host, what left before the interrupt: one line each, and in --json as data.
    knockPlans.forEach((plan, i) => {
      const done = sent[i] === plan.knocks.length;
      const who = plan.profile ? ` (${plan.action} ${plan.profile})` : '';
      const why = done ? `interrupted: all ${countKnocks(plan.knocks.length)}${who} sent to ${plan.address} before it` : interruptedError(plan, sent[i]!).message;
      ctx.io.stderr.write(`knock: ${why}\n`);
      if (ctx.args.json) json.push({ ...planToJson(plan), dryRun: false, interrupted: true, sent: sent[i], notSent: plan.knocks.length - sent[i]! });
    });
    if (ctx.args.json) ctx.json([...json, ...noteJson]);
    return INTERRUPTED_EXIT;
  }
  const results: PromiseSettledResult<KnockReport>[] = knockResults;
  for (const [i, result] of results.entries()) {
    const plan = knockPlans[i]!;
    if (result.status === 'rejected') {
      failed(plan, result.reason);
      continue;
    }
    const report = result.value;
    report.knocks.forEach((k, j) => {
      ctx.debug(`${plan.profile}: ${sentLine(plan, j, k, k.sentMs)}: ${k.result}`);
      if (k.result === 'accepted' && !(k.protocol === 'tcp' && k.connect)) ctx.warn(`${plan.profile}: knock ${j + 1} was accepted by ${plan.address}: an open port completes a handshake, so more than one packet went there`);
    });
    // A knock the local system would not send fails that member, as it fails a single run.
    const unsent = notSentError(plan, report);
    if (unsent) failedNames.add(plan.profile);
    if (ctx.args.json) json.push({ ...reportToJson(plan, report), ...(unsent ? { error: unsent.message } : {}) });
    else ctx.out(unsent ? `failed ${plan.profile}: ${unsent.message}` : reportLine(plan, report));
  }
  if (ctx.args.json) ctx.json([...json, ...noteJson]);
  if (failedNames.size > 0) ctx.io.stderr.write(`knock: ${failedNames.size} of ${prepared.length} members of the group failed to send\n`);
  return failedNames.size > 0 ? 1 : 0;
}

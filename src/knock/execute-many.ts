// Sends several plans at once (knock @group): every knock of every plan armed first, then one
// timeline for all of them from one t0, so no plan's timers or spins delay another's knocks.
// The first knocks are due together but leave one after another (a TCP knock costs ~0.3 ms of
// JavaScript); each plan's later knocks are timed from its own first one, so its gaps stay exact.
import { systemClock, msToNs, nsToMs, waitUntil } from './clock.js';
import { destinationOf, holdAddress, knownOutcomes, type ExecuteOptions, type KnockReport, type SentKnock } from './execute.js';
import type { KnockPlan } from './plan.js';
import type { Armed, Shot } from './transport/transport.js';

/**
 * One result per plan, in order. A plan whose knocks cannot all be armed sends nothing and is
 * rejected; the others still go. Knocks due at the same instant leave in plan order; within a
 * plan a knock never leaves before the one ahead of it has (as in executePlan).
 */
export interface ExecuteManyOptions extends Omit<ExecuteOptions, 'onSent'> {
  /** Told as each knock leaves: which plan, which of its knocks (an interrupted group says how far each got). */
  onSent?: (plan: number, index: number) => void;
}

export async function executePlans(plans: readonly KnockPlan[], options: ExecuteManyOptions): Promise<PromiseSettledResult<KnockReport>[]> {
  // Each member's address held as a single run holds it (taken in address order, so two group
  // runs never wait on each other in a circle), until every knock has left.
  const { lock } = options;
  const releases: (() => void)[] = [];
  try {
    for (const plan of [...plans].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))) {
      releases.push(await holdAddress(plan, lock, options.onWait));
    }
    return await sendAll(plans, options, () => releases.forEach((release) => release()));
  } finally {
    releases.forEach((release) => release());
  }
}

async function sendAll(plans: readonly KnockPlan[], options: ExecuteManyOptions, released: () => void): Promise<PromiseSettledResult<KnockReport>[]> {
  const { transport } = options;
  const clock = options.clock ?? systemClock;
  const armed: (Armed[] | { error: unknown })[] = [];
  for (const plan of plans) {
    const to = destinationOf(plan);
    const mine: Armed[] = [];
    try {
      for (const knock of plan.knocks) mine.push(await transport.arm(knock, to));
      armed.push(mine);
    } catch (error) {
      for (const a of mine) a.cancel();
      armed.push({ error });
    }
  }

  const timeline = plans
    .flatMap((plan, p) => (Array.isArray(armed[p]) ? plan.knocks.map((knock, i) => ({ p, i, offsetMs: knock.offsetMs })) : []))
    .sort((x, y) => x.offsetMs - y.offsetMs || x.p - y.p);
  const shots: Shot[][] = plans.map(() => []);
  const sentAt: bigint[][] = plans.map(() => []);
  const t0 = clock.now();
  for (const { p, i, offsetMs } of timeline) {
    if (i > 0) await shots[p]![i - 1]!.sent;
    const base = i === 0 ? t0 : sentAt[p]![0]!;
    await waitUntil(clock, base + msToNs(offsetMs));
    sentAt[p]!.push(clock.now());
    shots[p]!.push((armed[p] as Armed[])[i]!.fire());
    options.onSent?.(p, i);
    // A TCP knock's connect(2) runs on the next tick, and ticks wait while this loop goes on from
    // one resolved await to the next: let it out now, before another plan's knock is fired.
    await new Promise<void>((resolve) => process.nextTick(resolve));
  }
  // Every sequence is on the wire; the outcomes need not hold up the next run.
  await Promise.all(shots.map((s) => s.at(-1)?.sent));
  released();

  return Promise.all(
    plans.map(async (plan, p): Promise<PromiseSettledResult<KnockReport>> => {
      const a = armed[p]!;
      if (!Array.isArray(a)) return { status: 'rejected', reason: a.error };
      await shots[p]!.at(-1)?.sent;
      const outcomes = options.outcomes ? await Promise.all(shots[p]!.map((s) => s.outcome)) : await knownOutcomes(shots[p]!);
      const knocks = plan.knocks.map((knock, i): SentKnock => {
        const outcome = outcomes[i]!;
        const sent: SentKnock = { ...knock, sentMs: nsToMs(sentAt[p]![i]! - t0), result: outcome.result };
        if (outcome.detail) sent.detail = outcome.detail;
        return sent;
      });
      // sentMs from the common t0 (so the start skew shows); elapsedMs from the plan's own first knock.
      return { status: 'fulfilled', value: { knocks, elapsedMs: nsToMs(sentAt[p]!.at(-1)! - sentAt[p]![0]!) } };
    }),
  );
}

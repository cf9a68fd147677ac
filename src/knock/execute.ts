// Sends a plan: every knock armed first, then fired in order at t0 + its offset.
import { systemClock, msToNs, nsToMs, waitUntil, type Clock } from './clock.js';
import type { KnockPlan, PlannedKnock } from './plan.js';
import { RuntimeError } from '../shared/errors.js';
import { LOCK_TIMEOUT_MS, LockTimeoutError, type SequenceLock } from './sequence-lock.js';
import type { Armed, Destination, KnockResult, Outcome, Shot, Transport } from './transport/transport.js';

export type SentKnock = PlannedKnock & {
  /** When it actually left, ms after the first knock's deadline. */
  sentMs: number;
  result: KnockResult;
  detail?: string;
};

export interface KnockReport {
  knocks: SentKnock[];
  /** ms from the first knock's deadline to the last knock's send. */
  elapsedMs: number;
}

export interface ExecuteOptions {
  /** The real one is transport/system.ts's, made from the process's io (the Context's). */
  transport: Transport;
  clock?: Clock;
  /** Told as each knock leaves (for a spinner or -v), with when it left (ms after t0). */
  onSent?: (index: number, knock: PlannedKnock, sentMs: number) => void;
  /** Told as each knock's outcome settles, in the order the knocks left. */
  onOutcome?: (index: number, outcome: Outcome) => void;
  /** Keeps sequences to one address from interleaving, across processes (sequence-lock.ts). */
  lock: SequenceLock;
  /** Told once when another sequence to the same address is under way and this one waits. */
  onWait?: (plan: KnockPlan) => void;
  /**
   * Keeps the address held after the last knock has left, until this settles (at most
   * HOLD_AFTER_MS): what the sequence opened the door for (the proxy's connect) belongs to it.
   * Another session's close waiting for the address would otherwise shut the door in between.
   */
  holdUntil?: Promise<unknown>;
  /**
   * Wait (bounded) for what comes back to every knock, for -v, --json and lint. Otherwise the
   * run ends once the last knock has left, and a knock's result is 'sent' unless its answer
   * was already in: a server that drops knocks never answers, and waiting for it is dead time.
   */
  outcomes?: boolean;
}

export async function executePlan(plan: KnockPlan, options: ExecuteOptions): Promise<KnockReport> {
  const { transport, lock } = options;
  const clock = options.clock ?? systemClock;

  const release = await holdAddress(plan, lock, options.onWait);
  const sequenceOut = options.holdUntil ? holdAfter(options.holdUntil, release) : release;
  try {
    const report = await fire(plan, transport, clock, options, sequenceOut);
    sequenceOut();
    return report;
  } catch (error) {
    // Nothing goes on after a sequence that failed: the address is free at once.
    release();
    throw error;
  }
}

/**
 * How long an address stays held past its sequence's last knock, at most: under half the
 * bound a waiter gives one holder (LOCK_TIMEOUT_MS), so a close waiting behind a connect that
 * never succeeds is still sent.
 */
export const HOLD_AFTER_MS = LOCK_TIMEOUT_MS / 2;

/** A promise settled from outside, for holdUntil: the end of what the sequence opened the door for. */
export function settledLater(): { settled: Promise<void>; settle: () => void } {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  return { settled, settle: () => settle() };
}

/** `release`, once `until` settles or HOLD_AFTER_MS have passed, whichever comes first. */
function holdAfter(until: Promise<unknown>, release: () => void): () => void {
  let armed = false;
  return () => {
    if (armed) return;
    armed = true;
    const timer = setTimeout(release, HOLD_AFTER_MS);
    // The bound never keeps a process alive that has nothing else to do.
    timer.unref?.();
    const done = () => {
      clearTimeout(timer);
      release();
    };
    until.then(done, done);
  };
}

/**
 * Two sequences to one address at once would mix their packets, and the server would see
 * neither: waits for the other to end (bounded), then holds the address until released.
 */
export async function holdAddress(plan: KnockPlan, lock: SequenceLock, onWait?: (plan: KnockPlan) => void): Promise<() => void> {
  try {
    const unlock = await lock.acquire({ address: plan.address, family: plan.family }, () => onWait?.(plan));
    let held = true;
    return () => {
      if (held) unlock();
      held = false;
    };
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw new RuntimeError(`${plan.host === plan.address ? plan.host : `${plan.host} (${plan.address})`}: another knock sequence to it did not finish within ${error.seconds} s; gave up`);
    }
    throw error;
  }
}

async function fire(plan: KnockPlan, transport: Transport, clock: Clock, options: ExecuteOptions, release: () => void): Promise<KnockReport> {
  const to = destinationOf(plan);
  // Arm everything first: a knock that cannot be sent fails the plan before any packet leaves.
  const armed: Armed[] = [];
  try {
    for (const knock of plan.knocks) armed.push(await transport.arm(knock, to));
  } catch (error) {
    for (const a of armed) a.cancel();
    throw error;
  }

  const shots: Shot[] = [];
  const sentAt: bigint[] = [];
  const t0 = clock.now();
  let reported = Promise.resolve();
  for (const [i, knock] of plan.knocks.entries()) {
    // Order before timing: a knock never leaves before the one ahead of it has.
    if (i > 0) await shots[i - 1]!.sent;
    await waitUntil(clock, t0 + msToNs(knock.offsetMs));
    sentAt.push(clock.now());
    const shot = armed[i]!.fire();
    shots.push(shot);
    options.onSent?.(i, knock, nsToMs(sentAt[i]! - t0));
    // Told as it settles, while later knocks are still to go, but never ahead of an earlier one.
    reported = reported.then(() => shot.outcome).then((outcome) => options.onOutcome?.(i, outcome));
  }
  await shots.at(-1)?.sent;
  // The sequence is on the wire; its outcomes need not hold up the next one.
  release();
  const elapsedMs = nsToMs((sentAt.at(-1) ?? t0) - t0);
  const outcomes = options.outcomes ? (await reported, await Promise.all(shots.map((s) => s.outcome))) : await knownOutcomes(shots);
  return {
    elapsedMs,
    knocks: plan.knocks.map((knock, i) => {
      const outcome = outcomes[i]!;
      const sent: SentKnock = { ...knock, sentMs: nsToMs(sentAt[i]! - t0), result: outcome.result };
      if (outcome.detail) sent.detail = outcome.detail;
      return sent;
    }),
  };
}

/** Where a plan's knocks go, and what every one of its packets carries. */
export function destinationOf(plan: KnockPlan): Destination {
  const to: Destination = { address: plan.address, family: plan.family };
  if (plan.source) to.source = plan.source;
  if (plan.ttl !== undefined) to.ttl = plan.ttl;
  return to;
}

/**
 * What the shots have already learnt, without waiting for answers: those still to come are
 * given up ('sent'). One turn of the event loop first: a knock the kernel refused locally
 * ('not-sent') says so within the ticks of its send, and that must count for the exit code.
 */
export async function knownOutcomes(shots: readonly Shot[]): Promise<Outcome[]> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const unknown: Outcome = { result: 'sent' };
  return Promise.all(
    shots.map(async (shot) => {
      // race() takes the first settled in array order: an outcome already in wins over `unknown`.
      const outcome = await Promise.race([shot.outcome, Promise.resolve(unknown)]);
      shot.release?.();
      return outcome;
    }),
  );
}

// Monotonic time and precise waiting: sleep until just before a deadline, then spin.
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface Clock {
  /** Monotonic nanoseconds. */
  now(): bigint;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => process.hrtime.bigint(),
  sleep: (ms) => sleepMs(ms),
};

/** Waits that can be called off (a connect attempt's limit, a pause an abort ends), on a clock tests can move. */
export interface Timers {
  /** Monotonic milliseconds. */
  nowMs(): number;
  /** Calls fn after ms; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemTimers: Timers = {
  nowMs: () => Number(process.hrtime.bigint()) / 1e6,
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** setTimeout wakes up to ~1 ms late (or early): hand over to a spin this long before. */
export const SPIN_NS = 2_000_000n;

export const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
export const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/** Resolves at `deadline` (monotonic ns) with sub-millisecond precision. */
export async function waitUntil(clock: Clock, deadline: bigint): Promise<void> {
  for (;;) {
    const left = deadline - clock.now();
    if (left <= SPIN_NS) break;
    await clock.sleep(nsToMs(left - SPIN_NS));
  }
  while (clock.now() < deadline) {
    // spin: at most SPIN_NS, so the event loop is held for ~2 ms per knock.
  }
}

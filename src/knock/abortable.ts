// A sequence that stops half-way: once the signal fires, no further knock leaves, the knocks
// armed and not yet fired are cancelled, and the wait for the next deadline ends at once
// (executePlan then rejects with the signal's reason).
import { systemClock, type Clock } from './clock.js';
import type { Armed, Transport } from './transport/transport.js';

/** What the two wrappers read of an AbortSignal: an AbortSignal is one, and so is stopSignal()'s. */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A StopSignal and its abort(), as an AbortController gives them for what the wrappers use,
 * without Node's EventTarget (the first AbortController costs half a millisecond of a knock's
 * start-up). Each listener is told once, in the order added; none added after the abort is told.
 */
export function stopSignal(): { signal: StopSignal; abort(reason: unknown): void } {
  const listeners = new Set<() => void>();
  let aborted = false;
  let reason: unknown;
  const signal: StopSignal = {
    get aborted() {
      return aborted;
    },
    get reason() {
      return reason;
    },
    throwIfAborted() {
      if (aborted) throw reason;
    },
    addEventListener(_type, listener) {
      if (!aborted) listeners.add(listener);
    },
    removeEventListener(_type, listener) {
      listeners.delete(listener);
    },
  };
  return {
    signal,
    abort(why) {
      if (aborted) return;
      aborted = true;
      reason = why;
      const told = [...listeners];
      listeners.clear();
      for (const listener of told) listener();
    },
  };
}

export function abortableTransport(transport: Transport, signal: StopSignal): Transport {
  const waiting = new Set<Armed>();
  signal.addEventListener('abort', () => {
    for (const armed of waiting) armed.cancel();
    waiting.clear();
  }, { once: true });
  return {
    async arm(knock, to) {
      signal.throwIfAborted();
      const armed = await transport.arm(knock, to);
      if (signal.aborted) {
        armed.cancel();
        signal.throwIfAborted();
      }
      waiting.add(armed);
      return {
        fire() {
          signal.throwIfAborted();
          waiting.delete(armed);
          return armed.fire();
        },
        cancel() {
          waiting.delete(armed);
          armed.cancel();
        },
      };
    },
  };
}

export function abortableClock(inner: Clock | undefined, signal: StopSignal): Clock {
  const clock = inner ?? systemClock;
  return {
    now: () => clock.now(),
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        clock.sleep(ms).then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, reject);
      }),
  };
}

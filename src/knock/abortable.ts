// A sequence that stops half-way: once the signal fires, no further knock leaves, the knocks
// armed and not yet fired are cancelled, and the wait for the next deadline ends at once
// (executePlan then rejects with the signal's reason).
import { systemClock, type Clock } from './clock.js';
import type { Armed, Transport } from './transport/transport.js';

export function abortableTransport(transport: Transport, signal: AbortSignal): Transport {
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

export function abortableClock(inner: Clock | undefined, signal: AbortSignal): Clock {
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

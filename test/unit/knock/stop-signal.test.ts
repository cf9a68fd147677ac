// stopSignal() does for the abortable wrappers what an AbortController's signal does.
import { abortableClock, abortableTransport, stopSignal } from '../../../src/knock/abortable.js';
import type { Armed, Transport } from '../../../src/knock/transport/transport.js';

test('each listener is told once, in order; none added after the abort; reason and throwIfAborted as AbortSignal', () => {
  const { signal, abort } = stopSignal();
  const told: string[] = [];
  const a = () => told.push('a');
  signal.addEventListener('abort', a);
  signal.addEventListener('abort', () => told.push('b'), { once: true });
  const removed = () => told.push('removed');
  signal.addEventListener('abort', removed);
  signal.removeEventListener('abort', removed);
  expect(signal.aborted).toBe(false);
  expect(() => signal.throwIfAborted()).not.toThrow();
  const why = new Error('SIGINT');
  abort(why);
  abort(new Error('again'));
  signal.addEventListener('abort', () => told.push('late'));
  expect(told).toEqual(['a', 'b']);
  expect(signal.aborted).toBe(true);
  expect(signal.reason).toBe(why);
  expect(() => signal.throwIfAborted()).toThrow(why);
});

test('the wrappers stop at it: armed knocks cancelled, a sleep ends with the reason, no further fire', async () => {
  const { signal, abort } = stopSignal();
  let cancelled = 0;
  let fired = 0;
  const armed: Armed = { fire: () => (fired++, { sent: Promise.resolve(), outcome: Promise.resolve({ result: 'sent' }) }), cancel: () => cancelled++ };
  const inner: Transport = { arm: async () => armed };
  const transport = abortableTransport(inner, signal);
  const first = await transport.arm({ proto: 'tcp', port: 1 } as never, { address: '127.0.0.1', family: 4 });
  const clock = abortableClock({ now: () => 0n, sleep: () => new Promise(() => {}) }, signal);
  const sleeping = clock.sleep(1000);
  const why = new Error('SIGINT');
  abort(why);
  await expect(sleeping).rejects.toBe(why);
  expect(cancelled).toBe(1);
  expect(() => first.fire()).toThrow(why);
  expect(fired).toBe(0);
  await expect(transport.arm({ proto: 'tcp', port: 2 } as never, { address: '127.0.0.1', family: 4 })).rejects.toBe(why);
});

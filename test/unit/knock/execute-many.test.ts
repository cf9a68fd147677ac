import { executePlans } from '../../../src/knock/execute-many.js';
import { scheduleKnocks, type KnockPlan } from '../../../src/knock/plan.js';
import type { Armed, Destination } from '../../../src/knock/transport/transport.js';
import type { Knock } from '../../../src/knock/tokens.js';
import { FakeClock, FakeLock, FakeTransport } from '../../helpers/fakes.js';

function planOf(address: string, delay: number, ...ports: number[]): KnockPlan {
  return { action: 'open', target: address, host: address, address, family: 4, knocks: scheduleKnocks(ports.map((port) => ({ protocol: 'tcp', port })), delay) };
}

test('one timeline from one t0: every plan on its own offsets, same-instant knocks in plan order', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const results = await executePlans([planOf('198.18.0.2', 50, 1, 2, 3), planOf('198.18.0.3', 40, 4, 5, 6), planOf('198.18.0.4', 100, 7, 8)], { transport, clock, lock: new FakeLock() });
  // Everything armed before the first knock fires.
  expect(transport.armed).toHaveLength(8);
  expect(transport.fired.map((f) => (f.knock as { port: number }).port)).toEqual([1, 4, 7, 5, 2, 6, 3, 8]);
  // Each plan's gaps from its own first knock.
  const at = (port: number) => transport.fired.find((f) => (f.knock as { port: number }).port === port)!.at;
  const gap = (from: number, to: number) => Number(at(to) - at(from)) / 1e6;
  for (const [from, port, want] of [[1, 2, 50], [1, 3, 100], [4, 5, 40], [4, 6, 80], [7, 8, 100]] as const) {
    expect(gap(from, port)).toBeGreaterThanOrEqual(want);
    expect(gap(from, port)).toBeLessThan(want + 0.2);
  }
  expect(gap(1, 7)).toBeLessThan(0.2);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  const second = results[1] as PromiseFulfilledResult<{ knocks: { sentMs: number }[]; elapsedMs: number }>;
  expect(second.value.knocks.map((k) => Math.floor(k.sentMs))).toEqual([0, 40, 80]);
  expect(second.value.elapsedMs).toBeCloseTo(second.value.knocks[2]!.sentMs - second.value.knocks[0]!.sentMs, 6);
});

test('a plan that cannot be armed sends nothing and is rejected; the others go', async () => {
  const clock = new FakeClock();
  const inner = new FakeTransport(clock);
  const transport = {
    arm: (knock: Knock, to: Destination): Promise<Armed> => (to.address === '198.18.0.3' && inner.armed.length > 2 ? Promise.reject(new Error('no socket')) : inner.arm(knock, to)),
  };
  const results = await executePlans([planOf('198.18.0.2', 10, 1, 2), planOf('198.18.0.3', 10, 3, 4), planOf('198.18.0.4', 10, 5)], { transport, clock, lock: new FakeLock() });
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('no socket'));
  expect(inner.cancelled).toEqual([2]);
  expect(inner.fired.map((f) => f.to.address)).toEqual(['198.18.0.2', '198.18.0.4', '198.18.0.2']);
});

test("a knock waits until its plan's previous knock has left", async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const gate = transport.sentGate(0);
  const done = executePlans([planOf('198.18.0.2', 0, 1, 2)], { transport, clock, lock: new FakeLock() });
  await new Promise((r) => setImmediate(r));
  expect(transport.fired).toHaveLength(1);
  gate.resolve();
  await done;
  expect(transport.fired).toHaveLength(2);
});

test('every address is held (in address order, so two runs never wait in a circle) before arming, and let go once all knocks left', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const lock = new FakeLock();
  const armedAtAcquire: number[] = [];
  const acquire = lock.acquire.bind(lock);
  lock.acquire = (to, onWait) => {
    armedAtAcquire.push(transport.armed.length);
    return acquire(to, onWait);
  };
  await executePlans([planOf('198.18.0.4', 10, 1), planOf('198.18.0.2', 10, 2, 3), planOf('198.18.0.3', 10, 4)], { transport, clock, lock });
  expect(armedAtAcquire).toEqual([0, 0, 0]);
  expect(lock.events).toEqual([
    'acquire 198.18.0.2',
    'acquire 198.18.0.3',
    'acquire 198.18.0.4',
    'release 198.18.0.2',
    'release 198.18.0.3',
    'release 198.18.0.4',
  ]);
});

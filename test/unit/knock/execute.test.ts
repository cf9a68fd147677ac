import { msToNs } from '../../../src/knock/clock.js';
import { jest } from '@jest/globals';
import { executePlan, HOLD_AFTER_MS } from '../../../src/knock/execute.js';
import { LOCK_TIMEOUT_MS } from '../../../src/knock/sequence-lock.js';
import { scheduleKnocks, type KnockPlan } from '../../../src/knock/plan.js';
import { FakeClock, FakeLock, FakeTransport, settle } from '../../helpers/fakes.js';

function planOf(delay: number, ...ports: number[]): KnockPlan {
  return {
    action: 'open',
    target: 't',
    host: 't',
    address: '198.18.0.2',
    family: 4,
    knocks: scheduleKnocks(
      ports.map((port) => ({ protocol: port % 2 ? 'udp' : 'tcp', port })),
      delay,
    ),
  };
}

test('every knock fires in order at t0 + its offset, to the one address', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const t0 = clock.t;
  const report = await executePlan(planOf(100, 7000, 8001, 9000), { transport, clock, lock: new FakeLock() });
  expect(transport.fired.map((f) => f.index)).toEqual([0, 1, 2]);
  expect(transport.fired.every((f) => f.to.address === '198.18.0.2' && f.to.family === 4)).toBe(true);
  // Armed before t0, so each fires within a few fake clock reads of its deadline.
  const offsets = transport.fired.map((f) => Number(f.at - t0) / 1e6);
  [0, 100, 200].forEach((want, i) => {
    expect(offsets[i]).toBeGreaterThanOrEqual(want);
    expect(offsets[i]).toBeLessThan(want + 0.2);
  });
  expect(report.knocks.map((k) => [k.protocol === 'icmp' ? k.size : k.port, k.offsetMs, k.result])).toEqual([
    [7000, 0, 'sent'],
    [8001, 100, 'sent'],
    [9000, 200, 'sent'],
  ]);
  expect(report.knocks[2]!.sentMs).toBeGreaterThanOrEqual(200);
  expect(report.elapsedMs).toBe(report.knocks[2]!.sentMs);
});

test('the schedule is absolute: a slow send does not push later deadlines back', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const gate = transport.sentGate(0);
  const t0 = clock.t;
  const running = executePlan(planOf(100, 7000, 8000, 9000), { transport, clock, lock: new FakeLock() });
  await settle();
  // Knock 0 takes 30 ms to leave; knock 1 still goes at +100, knock 2 at +200.
  clock.advance(30);
  gate.resolve();
  await running;
  const offsets = transport.fired.map((f) => Number(f.at - t0) / 1e6);
  expect(offsets[1]).toBeLessThan(100.2);
  expect(offsets[2]).toBeLessThan(200.2);
});

test("order barrier: a knock whose 'sent' is late holds back the next one", async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const gate = transport.sentGate(0);
  const t0 = clock.t;
  const running = executePlan(planOf(0, 7000, 8001), { transport, clock, lock: new FakeLock() });
  for (let i = 0; i < 5; i++) await settle();
  expect(transport.fired.map((f) => f.index)).toEqual([0]);
  clock.advance(3);
  gate.resolve();
  await running;
  expect(transport.fired.map((f) => f.index)).toEqual([0, 1]);
  expect(Number(transport.fired[1]!.at - t0) / 1e6).toBeGreaterThanOrEqual(3);
});

test('an arm failure sends nothing and cancels what was armed', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  transport.failArmAt = 2;
  await expect(executePlan(planOf(10, 7000, 8001, 9000), { transport, clock, lock: new FakeLock() })).rejects.toThrow('cannot arm knock 2');
  expect(transport.fired).toEqual([]);
  expect(transport.cancelled).toEqual([0, 1]);
});

test('onSent is told of each knock as it leaves, in order', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const seen: number[] = [];
  await executePlan(planOf(5, 1, 2, 3), { transport, clock, lock: new FakeLock(), onSent: (i) => seen.push(i) });
  expect(seen).toEqual([0, 1, 2]);
});

test('outcomes and details are reported per knock', async () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  transport.outcome = { result: 'unreachable', detail: 'EHOSTUNREACH' };
  const report = await executePlan(planOf(0, 7000), { transport, clock, lock: new FakeLock() });
  expect(report.knocks[0]).toMatchObject({ result: 'unreachable', detail: 'EHOSTUNREACH' });
  // One knock: the run took exactly as long as its knock took to leave (fake-clock steps only).
  expect(report.elapsedMs).toBe(report.knocks[0]!.sentMs);
  expect(msToNs(report.elapsedMs)).toBeLessThan(msToNs(1));
});

describe('the per-destination lock', () => {
  test('is held from before arming until the last knock has left, then released once', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const lock = new FakeLock();
    const last = transport.sentGate(2);
    const running = executePlan(planOf(10, 7000, 8000, 9000), { transport, clock, lock });
    await settle();
    expect(lock.events).toEqual(['acquire 198.18.0.2']);
    expect(transport.fired).toHaveLength(3);
    last.resolve();
    await running;
    expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
  });

  test('says it waits, and a holder that never ends is an error naming the host, with nothing armed', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const lock = new FakeLock();
    lock.busy = true;
    lock.timeout = true;
    const waited: string[] = [];
    await expect(executePlan({ ...planOf(10, 7000), host: 'office' }, { transport, clock, lock, onWait: (p) => waited.push(p.address) })).rejects.toThrow(
      'office (198.18.0.2): another knock sequence to it did not finish within 30 s; gave up',
    );
    expect(waited).toEqual(['198.18.0.2']);
    expect(transport.armed).toHaveLength(0);
  });

  test('asked to hold on (the proxy connects): kept past the last knock until the connect settles', async () => {
    for (const outcome of ['connected', 'failed'] as const) {
      const clock = new FakeClock();
      const transport = new FakeTransport(clock);
      const lock = new FakeLock();
      let settleConnect!: () => void;
      const connect = new Promise<void>((resolve, reject) => (settleConnect = outcome === 'connected' ? resolve : () => reject(new Error('refused'))));
      connect.catch(() => {});
      const report = await executePlan(planOf(10, 7000, 8000), { transport, clock, lock, holdUntil: connect });
      expect(report.knocks).toHaveLength(2);
      expect(lock.events).toEqual(['acquire 198.18.0.2']);
      settleConnect();
      await settle();
      expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
    }
  });

  test('held on for a connect that never settles: let go after HOLD_AFTER_MS, once, under a waiter\'s bound', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const clock = new FakeClock();
      const transport = new FakeTransport(clock);
      const lock = new FakeLock();
      let settleConnect!: () => void;
      const connect = new Promise<void>((resolve) => (settleConnect = resolve));
      await executePlan(planOf(10, 7000), { transport, clock, lock, holdUntil: connect });
      jest.advanceTimersByTime(HOLD_AFTER_MS - 1);
      expect(lock.events).toEqual(['acquire 198.18.0.2']);
      jest.advanceTimersByTime(1);
      expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
      settleConnect();
      await settle();
      expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
      expect(HOLD_AFTER_MS).toBeLessThan(LOCK_TIMEOUT_MS);
    } finally {
      jest.useRealTimers();
    }
  });

  test('asked to hold on, but the sequence fails: let go at once', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    transport.failArmAt = 1;
    const lock = new FakeLock();
    await expect(executePlan(planOf(10, 7000, 8000), { transport, clock, lock, holdUntil: new Promise<void>(() => {}) })).rejects.toThrow('cannot arm knock 1');
    expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
  });

  test('is released when arming fails', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    transport.failArmAt = 1;
    const lock = new FakeLock();
    await expect(executePlan(planOf(10, 7000, 8000), { transport, clock, lock })).rejects.toThrow('cannot arm knock 1');
    expect(lock.events).toEqual(['acquire 198.18.0.2', 'release 198.18.0.2']);
  });
});

describe('outcomes', () => {
  function releasing(clock: FakeClock, answer: (i: number) => Promise<'refused'> | undefined) {
    const released: number[] = [];
    let n = 0;
    const transport = {
      arm: async () => {
        const i = n++;
        return {
          cancel() {},
          fire: () => ({
            sent: Promise.resolve(),
            outcome: answer(i)?.then((result) => ({ result })) ?? new Promise<never>(() => {}),
            release: () => void released.push(i),
          }),
        };
      },
    };
    return { transport, released, clock };
  }

  test('not asked for: the run ends as the last knock leaves; answers already in are kept, the rest released', async () => {
    const clock = new FakeClock();
    const { transport, released } = releasing(clock, (i) => (i === 0 ? Promise.resolve('refused') : undefined));
    const report = await executePlan(planOf(10, 7000, 7002, 7004), { transport, clock, lock: new FakeLock() });
    expect(report.knocks.map((k) => k.result)).toEqual(['refused', 'sent', 'sent']);
    expect(released).toEqual([0, 1, 2]);
  });

  test('asked for (-v, --json): every outcome is waited for, nothing released', async () => {
    const clock = new FakeClock();
    let late!: () => void;
    const gate = new Promise<void>((r) => (late = r));
    const { transport, released } = releasing(clock, (i) => (i === 1 ? gate.then(() => 'refused' as const) : Promise.resolve('refused')));
    const running = executePlan(planOf(10, 7000, 7002), { transport, clock, lock: new FakeLock(), outcomes: true });
    let done = false;
    void running.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    late();
    expect((await running).knocks.map((k) => k.result)).toEqual(['refused', 'refused']);
    expect(released).toEqual([]);
  });

  test('the plan source and TTL reach every knock', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    await executePlan({ ...planOf(0, 7000, 8001), source: '198.18.0.11', ttl: 4 }, { transport, clock, lock: new FakeLock() });
    expect(transport.fired.map((f) => f.to)).toEqual([
      { address: '198.18.0.2', family: 4, source: '198.18.0.11', ttl: 4 },
      { address: '198.18.0.2', family: 4, source: '198.18.0.11', ttl: 4 },
    ]);
  });
});

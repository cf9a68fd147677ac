import { FakeClock, FakeLock } from '../../helpers/fakes.js';
import { abortableClock, abortableTransport } from '../../../src/knock/abortable.js';
import { executePlan } from '../../../src/knock/execute.js';
import type { Clock } from '../../../src/knock/clock.js';
import type { KnockPlan } from '../../../src/knock/plan.js';
import type { Transport } from '../../../src/knock/transport/transport.js';

const plan: KnockPlan = {
  action: 'open',
  target: 'door',
  host: 'door',
  address: '198.18.0.2',
  family: 4,
  knocks: [1111, 2222, 3333].map((port, i) => ({ protocol: 'tcp' as const, port, offsetMs: i * 200 })),
};

test('aborted between knocks: the rest never leaves, is cancelled, and the plan ends at once', async () => {
  const fired: number[] = [];
  const cancelled: number[] = [];
  const transport: Transport = {
    async arm(knock) {
      const port = knock.protocol === 'icmp' ? 0 : knock.port;
      return {
        fire: () => {
          fired.push(port);
          return { sent: Promise.resolve(), outcome: Promise.resolve({ result: 'refused' as const }) };
        },
        cancel: () => cancelled.push(port),
      };
    },
  };
  const controller = new AbortController();
  // A clock whose sleeps never end: the plan can only finish because the abort ends the wait
  // for the next deadline, so "at once" is proven without reading the wall clock.
  const fake = new FakeClock();
  const stuck: Clock = { now: () => fake.now(), sleep: () => new Promise<void>(() => {}) };
  const inner = transport.arm.bind(transport);
  transport.arm = async (knock, to) => {
    const armed = await inner(knock, to);
    return {
      fire: () => {
        const shot = armed.fire();
        // ssh goes away once the first knock has left.
        setImmediate(() => controller.abort(new Error('ssh is gone')));
        return shot;
      },
      cancel: armed.cancel,
    };
  };
  await expect(
    executePlan(plan, { transport: abortableTransport(transport, controller.signal), clock: abortableClock(stuck, controller.signal), lock: new FakeLock() }),
  ).rejects.toThrow('ssh is gone');
  expect(fired).toEqual([1111]);
  expect(cancelled.sort()).toEqual([2222, 3333]);
});

test('nothing is armed once aborted', async () => {
  const controller = new AbortController();
  controller.abort(new Error('gone'));
  const transport: Transport = { arm: async () => { throw new Error('must not arm'); } };
  await expect(executePlan(plan, { transport: abortableTransport(transport, controller.signal), lock: new FakeLock() })).rejects.toThrow('gone');
});

import { msToNs, nsToMs, SPIN_NS, waitUntil } from '../../../src/knock/clock.js';
import { FakeClock } from '../../helpers/fakes.js';

describe('waitUntil', () => {
  test('sleeps until SPIN_NS before the deadline, then spins up to it', async () => {
    const clock = new FakeClock();
    const deadline = clock.t + msToNs(50);
    await waitUntil(clock, deadline);
    expect(clock.sleeps).toHaveLength(1);
    // One sleep that leaves ~2 ms (less the clock reads) for the spin.
    expect(clock.sleeps[0]).toBeCloseTo(nsToMs(msToNs(50) - SPIN_NS), 1);
    expect(clock.t).toBeGreaterThanOrEqual(deadline);
    expect(clock.t - deadline).toBeLessThan(clock.stepNs * 2n);
  });

  test('a sleep that wakes early sleeps again', async () => {
    const clock = new FakeClock();
    const early = { ...clock, now: () => clock.now(), sleep: async (ms: number) => clock.sleep(ms / 2) };
    const deadline = clock.t + msToNs(100);
    await waitUntil(early, deadline);
    expect(clock.sleeps.length).toBeGreaterThan(2);
    expect(clock.t).toBeGreaterThanOrEqual(deadline);
  });

  test('a deadline within the spin window, or past, does not sleep', async () => {
    const clock = new FakeClock();
    await waitUntil(clock, clock.t + msToNs(1));
    await waitUntil(clock, clock.t - msToNs(5));
    expect(clock.sleeps).toEqual([]);
  });
});

test('ms <-> ns', () => {
  expect(msToNs(1.5)).toBe(1_500_000n);
  expect(nsToMs(2_500_000n)).toBe(2.5);
});

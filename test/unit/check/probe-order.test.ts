import { forms, orderProbes } from '../../../src/check/probe-order.js';
import type { Knock } from '../../../src/knock/tokens.js';

const tcp = (...ports: number[]): Knock[] => ports.map((port) => ({ protocol: 'tcp', port }));
const all = (rounds: number[][]) => rounds.flat();

test('forms: in order, gaps allowed', () => {
  expect(forms([9, 1, 8, 2, 7], [9, 8, 7])).toBe(true);
  expect(forms([7, 8, 9], [9, 8, 7])).toBe(false);
});

test('a descending close and a descending open: one round in which neither forms', () => {
  const seqs = [tcp(9500, 9400, 9300), tcp(9000, 8000, 7000)];
  const { rounds, skipped } = orderProbes([9500, 9400, 9300, 9000, 8000, 7000], seqs);
  expect(rounds).toHaveLength(1);
  expect(all(rounds).sort()).toEqual([7000, 8000, 9000, 9300, 9400, 9500]);
  for (const s of seqs) expect(forms(rounds[0]!, s.map((k) => (k as { port: number }).port))).toBe(false);
  expect(skipped).toEqual([]);
});

test('another profile for the host ascending, this one descending: an order that is neither', () => {
  const seqs = [tcp(9000, 8000, 7000), tcp(7000, 8000, 9000)];
  const { rounds } = orderProbes([9000, 8000, 7000], seqs);
  expect(rounds).toHaveLength(1);
  expect(forms(rounds[0]!, [9000, 8000, 7000]) || forms(rounds[0]!, [7000, 8000, 9000])).toBe(false);
});

test('open 1,2 and close 2,1: no order works, so two rounds', () => {
  const { rounds } = orderProbes([1, 2], [tcp(1, 2), tcp(2, 1)]);
  expect(rounds).toHaveLength(2);
  expect(all(rounds).sort()).toEqual([1, 2]);
});

test('a one-knock TCP sequence is never probed; UDP and repeated-port sequences cannot form', () => {
  const { rounds, skipped } = orderProbes([5, 6, 7], [tcp(5), [{ protocol: 'udp', port: 6 }, { protocol: 'tcp', port: 7 }], tcp(6, 7, 6)]);
  expect(skipped).toEqual([5]);
  expect(rounds).toEqual([[7, 6]]);
});

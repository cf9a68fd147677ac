import { describeProbes, probeGroups } from '../../../src/check/probe.js';
import type { Knock } from '../../../src/knock/tokens.js';
import type { Profile } from '../../../src/store/profiles.js';
import type { Transport } from '../../../src/knock/transport/transport.js';

const tcp = (port: number): Knock => ({ protocol: 'tcp', port });
const profile = (p: Partial<Profile>): Profile => ({ name: 'p', open: [tcp(7000), tcp(8000)], delay: 100, seqTimeout: 25, ...p });
const to = { address: '198.18.0.2', family: 4 as const };

function recorder(accepting: number[] = []) {
  const sent: (number | string)[] = [];
  const transport: Transport = {
    async arm(knock) {
      return {
        fire() {
          if (knock.protocol !== 'tcp') throw new Error('only TCP is probed');
          sent.push(knock.port);
          return { sent: Promise.resolve(), outcome: Promise.resolve({ result: accepting.includes(knock.port) ? 'accepted' : 'refused' }) };
        },
        cancel() {},
      };
    },
  };
  const clock = { sleep: async (ms: number) => void sent.push(`sleep ${ms}`) };
  return { sent, transport, clock };
}

test('each distinct TCP port once; findings for the ports that accept', async () => {
  const { sent, transport, clock } = recorder([8000]);
  const p = profile({ open: [tcp(7000), tcp(8000), { protocol: 'udp', port: 5 }], close: [tcp(8000), tcp(9000)] });
  const { findings, reports } = await probeGroups([{ to, probed: [p], sameAddress: [p] }], { transport, clock });
  expect([...sent].sort()).toEqual([7000, 8000, 9000]);
  expect(findings.get('p')).toEqual([
    { level: 'warning', code: 'port-answers', message: 'knock 2 of the open sequence is accepted by 198.18.0.2: a knock there completes a handshake and sends more packets' },
    { level: 'warning', code: 'port-answers', message: 'knock 1 of the close sequence is accepted by 198.18.0.2: a knock there completes a handshake and sends more packets' },
  ]);
  expect(describeProbes(reports[0]!, false)).toBe('probed 198.18.0.2: 3 SYNs, one to each TCP knock port of p, in an order that forms none of the sequences for that address');
});

test("rounds are spaced by more than the longest seq_timeout of the address's profiles", async () => {
  const { sent, transport, clock } = recorder();
  const p = profile({ open: [tcp(1), tcp(2)], close: [tcp(2), tcp(1)], seqTimeout: 5 });
  const other = profile({ name: 'other', open: [tcp(3), tcp(4)], seqTimeout: 9 });
  const waits: number[] = [];
  const { reports } = await probeGroups([{ to, probed: [p], sameAddress: [p, other] }], { transport, clock, onWait: (ms) => waits.push(ms) });
  expect(sent).toEqual([2, 'sleep 10000', 1]);
  expect(waits).toEqual([10000]);
  expect(describeProbes(reports[0]!, true)).toBe('probed 198.18.0.2: 2 SYNs, one to each TCP knock port of p, in an order that forms none of the sequences for that address; in 2 rounds 10 s apart, since every single order would form one (2 | 1)');
});

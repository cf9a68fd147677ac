// The per-destination lock under contention, seen on the wire at the server: 50 runs at once,
// each its own three UDP ports, for 3 rounds: every run's three datagrams arrive together (0
// interleaved), and all 150 arrive. Then one address spelled five ways takes one lock.
// More rounds, by hand as root: KNOCK_LOCK_ROUNDS=20 and this file alone (it prints each round).
import { Capture, CLIENT_V4, CLIENT_V6, describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { interleavedRuns, portsOf } from '../lab/lock-contention.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const RUNS = 50;
const ROUNDS = Number(process.env.KNOCK_LOCK_ROUNDS) || 3;
/** A round starts 50 node processes on what may be a busy 2-CPU machine. */
const ROUND_BUDGET_MS = 120_000;

describeLab('the sequence lock under 50 concurrent runs (netns, tcpdump at the server)', ['tcpdump', 'iptables'], () => {
  let lab: Lab;
  const home = new TempHome();

  beforeAll(() => {
    lab = Lab.create('lc');
    // Nothing answers, so no ICMP error comes back to end anything early.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '-j', 'DROP']);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  test(`${RUNS} runs at once, ${ROUNDS} rounds: no run's datagrams interleaved with another's`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const base = 20000 + round * 3 * RUNS;
      const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and udp`);
      const results = await Promise.all(
        Array.from({ length: RUNS }, (_, i) =>
          runKnock(['-v', '-d', '20', SERVER_V4, ...portsOf(base, i).map((p) => `${p}:udp`)], { netns: lab.client, env: home.env, timeoutMs: 60000 }),
        ),
      );
      expect(results.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr}`)).toEqual([]);
      // Every run has exited, so every datagram has left: wait for tcpdump to have printed them.
      await until(() => capture.packets().filter((p) => p.proto === 'udp').length >= 3 * RUNS, 10000);
      const packets = await capture.stop(100);
      const seen = new Set(packets.map((p) => p.dport));
      // A datagram knock said it sent that the server never saw: which, and what that run printed.
      const missing = Array.from({ length: RUNS }, (_, i) => i).flatMap((i) => portsOf(base, i).filter((p) => !seen.has(p)).map((p) => `${p}: ${results[i]!.stderr}`));
      expect({ round, missing }).toEqual({ round, missing: [] });
      const interleaved = interleavedRuns(packets, base, RUNS);
      process.stderr.write(`lock contention round ${round + 1}/${ROUNDS}: ${RUNS} runs, ${packets.filter((p) => p.proto === 'udp').length} datagrams, ${interleaved} interleaved, waited: ${results.filter((r) => r.stderr.includes('waiting')).length}\n`);
      expect({ round, interleaved }).toEqual({ round, interleaved: 0 });
    }
  }, ROUNDS * ROUND_BUDGET_MS);

  test('one address in five spellings (case, zero padding, ::ffff: for IPv4) shares one lock', async () => {
    const v6 = [SERVER_V6, SERVER_V6.toUpperCase(), '2001:0db8:0000:0001:0000:0000:0000:0002'];
    const v4 = [SERVER_V4, `::ffff:${SERVER_V4}`];
    for (const [family, spellings, client] of [
      ['6', v6, CLIENT_V6],
      ['4', v4, CLIENT_V4],
    ] as const) {
      const base = 30000;
      const runs = spellings.length * 4;
      const capture = await Capture.start(lab, lab.server, `src host ${client} and udp`);
      const results = await Promise.all(
        Array.from({ length: runs }, (_, i) =>
          runKnock(['-v', '-d', '20', spellings[i % spellings.length]!, ...portsOf(base, i).map((p) => `${p}:udp`)], { netns: lab.client, env: home.env, timeoutMs: 60000 }),
        ),
      );
      expect(results.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr}`)).toEqual([]);
      await until(() => capture.packets().filter((p) => p.proto === 'udp').length >= 3 * runs, 10000);
      const packets = await capture.stop(100);
      expect({ family, seen: packets.filter((p) => p.proto === 'udp').length }).toEqual({ family, seen: 3 * runs });
      expect({ family, interleaved: interleavedRuns(packets, base, runs) }).toEqual({ family, interleaved: 0 });
    }
  }, ROUND_BUDGET_MS);
});

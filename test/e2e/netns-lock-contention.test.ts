// The per-destination lock under contention, on the wire at the server: 50 runs of `knock -v -d
// 20 HOST P:udp P+1:udp P+2:udp` at once, each its own ports, one round per server address (IPv4
// also as ::ffff:, IPv6 in upper case and zero padded, link-local with its %zone), the neighbour
// cache flushed first. tcpdump -w captures; the file is read from its bytes once a sentinel
// datagram sent after the last run shows in it. Every run's datagrams arrive whole and in order
// (0 interleaved), all arrive, tcpdump dropped none. Bench section 55-lock runs 20 rounds.
import { spawnSync } from 'node:child_process';
import { ContentionLab, DESTINATIONS } from '../../bench/lib/lock-contention.mjs';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { KNOCK_BIN } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const RUNS = 50;
/** A round starts 50 node processes on what may be a busy 2-CPU machine. */
const ROUND_BUDGET_MS = 120_000;

describeLab('the sequence lock under 50 concurrent runs (netns, tcpdump -w at the server)', ['tcpdump', 'nstat'], () => {
  let lab: ContentionLab;

  beforeAll(() => {
    lab = new ContentionLab('klk', KNOCK_BIN);
  });
  afterAll(() => lab?.destroy());

  test.each(DESTINATIONS.map((d, i) => [d.name, i] as const))(
    `${RUNS} runs at once to the %s address in its spellings: every datagram arrives, no run's interleaved with another's`,
    async (_name, i) => {
      const destination = DESTINATIONS[i]!;
      const r = await lab.round({ runs: RUNS, base: 20001 + i * (3 * RUNS + 1), destination });
      process.stderr.write(`lock contention ${destination.name}: ${r.seen}/${r.expected} datagrams, ${r.interleaved} interleaved, waited: ${r.waited}\n`);
      expect({ failures: r.failures, notSent: r.notSent, sentinelSeen: r.sentinelSeen }).toEqual({ failures: [], notSent: [], sentinelSeen: true });
      expect({ missing: r.missing, extra: r.extra, dropped: r.tcpdump.dropped }).toEqual({ missing: [], extra: [], dropped: 0 });
      expect({ interleaved: r.interleaved, outOfOrder: r.outOfOrder }).toEqual({ interleaved: 0, outOfOrder: 0 });
      // The runs did contend: some found another sequence under way (how many depends on the load).
      expect(r.waited).toBeGreaterThan(0);
    },
    ROUND_BUDGET_MS,
  );
});

// How an earlier 20-round run saw 149 of 150: its capture was tcpdump's text, read for "UDP".
// tcpdump decodes UDP by port number, and 49152, inside Linux's ephemeral range, is BCM-LI's:
// a knock that happened to leave from that port printed without the word. Every datagram left;
// the parser lost one. The text parser now takes ports without TCP flags as UDP.
describeLab('a UDP knock from source port 49152 is a datagram to the capture parser', ['tcpdump'], () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create('klp');
  });
  afterAll(() => lab?.destroy());

  test("tcpdump prints it without 'UDP'; Capture still reads it as udp to its port", async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and udp`);
    const send = `const s=require('node:dgram').createSocket('udp4');s.bind(49152,()=>s.send(Buffer.of(0),20001,'${SERVER_V4}',()=>s.close()))`;
    expect(spawnSync('ip', ['netns', 'exec', lab.client, process.execPath, '-e', send]).status).toBe(0);
    expect(await until(() => capture.packets().length === 1, 10000)).toBe(true);
    const [packet] = await capture.stop(0);
    expect(packet!.line).not.toMatch(/\bUDP\b/);
    expect({ proto: packet!.proto, dport: packet!.dport }).toEqual({ proto: 'udp', dport: 20001 });
  });
});

// Packets per knock on the wire, ours and knock(1), against a silent (DROP) server and a
// rejecting one (closed ports: RST, ICMP port unreachable), counted by tcpdump at the server.
import { existsSync } from 'node:fs';
import { CLIENT_V4, Lab, parseLine, SERVER_V4, whyNoLab } from '../lib/lab.mjs';
import { table } from '../lib/stats.mjs';

const KNOCK1 = '/usr/bin/knock';
const RUNS = 3;
const DELAY = 150;
/** TCP and UDP knocks, as offsets from a run's port base. */
const SEQUENCE = [
  [0, 'tcp'],
  [1, 'udp'],
  [2, 'tcp'],
  [3, 'udp'],
  [4, 'tcp'],
  [5, 'tcp'],
];

export default async function packets(ctx) {
  const why = whyNoLab(['iptables']);
  if (why) return console.log(`   skipped: ${why}`);
  const tools = [['knock (ours)', process.execPath, [ctx.knock, '-d', String(DELAY), SERVER_V4]]];
  if (existsSync(KNOCK1)) tools.push(['knock(1)', KNOCK1, ['-d', String(DELAY), SERVER_V4]]);
  else console.log(`   knock(1) not found at ${KNOCK1}: ours only`);

  const lab = new Lab('clb');
  const rows = [['server', 'tool', 'knocks', 'packets', 'per knock', 'SYN', 'RST', 'FIN', 'other TCP', 'UDP']];
  try {
    for (const [s, server] of ['rejecting', 'silent'].entries()) {
      if (server === 'silent') lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
      const capture = await lab.capture(`src host ${CLIENT_V4} and dst host ${SERVER_V4} and (tcp or udp)`);
      const base = (run, tool) => 30000 + s * 1000 + run * 100 + tool * 50;
      for (let run = 0; run < RUNS; run++) {
        for (const [t, [, command, args]] of tools.entries()) {
          await lab.run(command, [...args, ...SEQUENCE.map(([offset, proto]) => `${base(run, t) + offset}:${proto}`)]);
        }
      }
      // Long enough after the last knock for the kernel's first SYN retransmit (~1 s).
      const seen = (await capture.stop(1500)).map(parseLine);
      for (const [t, [name]] of tools.entries()) {
        const mine = seen.filter((p) => Array.from({ length: RUNS }, (_, run) => base(run, t)).some((b) => p.port >= b && p.port < b + 50));
        const count = (f) => mine.filter(f).length;
        const knocks = RUNS * SEQUENCE.length;
        rows.push([
          server,
          name,
          knocks,
          mine.length,
          (mine.length / knocks).toFixed(2),
          count((p) => p.flags === 'S'),
          count((p) => p.flags?.includes('R')),
          count((p) => p.flags?.includes('F')),
          count((p) => p.proto === 'tcp' && !['S'].includes(p.flags) && !p.flags.includes('R') && !p.flags.includes('F')),
          count((p) => p.proto === 'udp'),
        ]);
      }
    }
    console.log(`   ${RUNS} runs x ${SEQUENCE.length} knocks (4 TCP, 2 UDP), ${DELAY} ms apart; client-to-server packets (goal: 1.00 per knock)`);
    table(rows);
  } finally {
    lab.destroy();
  }
}

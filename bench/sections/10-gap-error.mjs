// On-wire gap error |gap - delay| at 50 ms spacing, TCP and UDP knocks alternating, ours and
// knock(1) in the same run,
// timed by tcpdump --immediate-mode at the server in a network namespace.
import { existsSync } from 'node:fs';
import { Lab, parseLine, SERVER_V4, whyNoLab } from '../lib/lab.mjs';
import { mean, ms, percentile, table } from '../lib/stats.mjs';

const KNOCK1 = '/usr/bin/knock';
const DELAY = 50;
const KNOCKS = 20;
const RUNS = 20;

export default async function gapError(ctx) {
  const why = whyNoLab();
  if (why) return console.log(`   skipped: ${why}`);
  const tools = [['knock (ours)', process.execPath, [ctx.knock, '-d', String(DELAY), SERVER_V4]]];
  if (existsSync(KNOCK1)) tools.push(['knock(1)', KNOCK1, ['-d', String(DELAY), SERVER_V4]]);
  else console.log(`   knock(1) not found at ${KNOCK1}: ours only`);

  const lab = new Lab('clb');
  try {
    // A silent server, as behind a knock daemon's firewall: nothing answers a knock.
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    const capture = await lab.capture(`dst host ${SERVER_V4} and (tcp[tcpflags] & tcp-syn != 0 or udp)`);
    // Ports tell the runs apart: run r of tool t knocks on base(r, t) + 0..KNOCKS-1.
    const base = (run, tool) => 20000 + run * 100 + tool * 50;
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so that the machine's load affects both tools alike.
      for (const [t, [, command, args]] of tools.entries()) {
        const ports = Array.from({ length: KNOCKS }, (_, i) => `${base(run, t) + i}:${i % 2 ? 'udp' : 'tcp'}`);
        await lab.run(command, [...args, ...ports]);
      }
    }
    const packets = (await capture.stop(300)).map(parseLine).filter((p) => p.proto === 'tcp' || p.proto === 'udp');
    const rows = [['tool', 'gaps', 'mean gap', '|gap-50| p50', 'p99', 'max', 'packets seen']];
    for (const [t, [name]] of tools.entries()) {
      const errors = [];
      const gaps = [];
      let syns = 0;
      for (let run = 0; run < RUNS; run++) {
        const mine = packets.filter((p) => p.port >= base(run, t) && p.port < base(run, t) + KNOCKS);
        syns += mine.length;
        for (let i = 1; i < mine.length; i++) {
          const gap = (mine[i].time - mine[i - 1].time) * 1000;
          gaps.push(gap);
          errors.push(Math.abs(gap - DELAY));
        }
      }
      rows.push([name, gaps.length, ms(mean(gaps)), ms(percentile(errors, 50), 3), ms(percentile(errors, 99), 3), ms(Math.max(...errors), 3), `${syns}/${RUNS * KNOCKS}`]);
    }
    console.log(`   ${RUNS} runs x ${KNOCKS} knocks (TCP and UDP alternating), delay ${DELAY} ms, silent server (goal for ours: p99 <= 0.5 ms)`);
    table(rows);
  } finally {
    lab.destroy();
  }
}

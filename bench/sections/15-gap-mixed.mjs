// On-wire gap error |gap - 200 ms| of a mixed TCP/UDP/ICMP sequence, by the way the ICMP echo
// leaves: a raw socket (root), an ICMP datagram socket (unprivileged, ping_group_range open),
// the parked system ping (unprivileged, range closed). tcpdump at the server.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_V4, Lab, parseLine, SERVER_V4, whyNoLab } from '../lib/lab.mjs';
import { ms, percentile, table } from '../lib/stats.mjs';

const DELAY = 200;
const RUNS = Number(process.env.BENCH_RUNS ?? 8);
/** One run's sequence: protocol of each knock (ICMP sizes and ports tell runs apart). */
const SEQUENCE = ['tcp', 'icmp', 'udp', 'icmp', 'tcp', 'udp', 'icmp', 'tcp'];
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const GOAL_MS = 1;

export default async function gapMixed(ctx) {
  const why = whyNoLab(['iptables', 'setpriv']);
  if (why) return console.log(`   skipped: ${why}`);
  const variants = [
    ['root: raw socket', [], false],
    ['unprivileged: datagram socket', NOBODY, true],
    ['unprivileged: parked ping', NOBODY, false],
  ];
  const home = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-'));
  chmodSync(home, 0o755);
  const lab = new Lab('clm');
  try {
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '-j', 'DROP']);
    lab.exec(lab.client, ['ping', '-c', '1', '-W', '2', SERVER_V4]);
    const capture = await lab.capture(`src host ${CLIENT_V4} and (tcp or udp or icmp)`);
    const key = (variant, run) => variant * RUNS + run;
    const portBase = (variant, run) => 20000 + key(variant, run) * 10;
    const icmpSize = (variant, run) => 100 + key(variant, run);
    for (let run = 0; run < RUNS; run++) {
      for (const [v, [, prefix, rangeOpen]] of variants.entries()) {
        lab.exec(lab.client, ['sysctl', '-q', '-w', `net.ipv4.ping_group_range=${rangeOpen ? '0 2147483647' : '1 0'}`]);
        const knocks = SEQUENCE.map((p, i) => (p === 'icmp' ? `icmp:${icmpSize(v, run)}` : `${portBase(v, run) + i}:${p}`));
        const [command, ...args] = [...prefix, process.execPath, ctx.knock, '-d', String(DELAY), SERVER_V4, ...knocks];
        await lab.run(command, args, { HOME: home, XDG_RUNTIME_DIR: '' });
      }
    }
    lab.exec(lab.client, ['sysctl', '-q', '-w', 'net.ipv4.ping_group_range=1 0']);
    const packets = (await capture.stop(300)).map((line) => {
      const icmp = / ICMP echo request, id \d+, seq \d+, length (\d+)/.exec(line);
      return icmp ? { time: Number(line.split(' ')[0]), proto: 'icmp', size: Number(icmp[1]) - 8 } : parseLine(line);
    });
    const rows = [['ICMP sent by', 'gaps', 'all |gap-200| p50', 'p99', 'max', 'into ICMP p99', 'packets/knock']];
    for (const [v, [name]] of variants.entries()) {
      const all = [];
      const intoIcmp = [];
      let seen = 0;
      for (let run = 0; run < RUNS; run++) {
        const mine = packets
          .filter((p) => (p.proto === 'icmp' ? p.size === icmpSize(v, run) : p.port >= portBase(v, run) && p.port < portBase(v, run) + SEQUENCE.length))
          .sort((a, b) => a.time - b.time);
        seen += mine.length;
        for (let i = 1; i < mine.length; i++) {
          const error = Math.abs((mine[i].time - mine[i - 1].time) * 1000 - DELAY);
          all.push(error);
          if (mine[i].proto === 'icmp') intoIcmp.push(error);
        }
      }
      if (process.env.BENCH_DEBUG) console.log(name, all.map((e) => e.toFixed(2)).join(' '));
      rows.push([name, all.length, ms(percentile(all, 50), 3), ms(percentile(all, 99), 3), ms(Math.max(...all), 3), ms(percentile(intoIcmp, 99), 3), (seen / (RUNS * SEQUENCE.length)).toFixed(2)]);
    }
    console.log(`   ${RUNS} runs x ${SEQUENCE.length} knocks (${SEQUENCE.join(' ')}), ${DELAY} ms apart, silent TCP/UDP (goal as root: p99 <= ${GOAL_MS} ms)`);
    table(rows);
  } finally {
    lab.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

// knock @group to three hosts at once against one member alone, on the wire (tcpdump at the
// server): start skew across the three, and |gap - delay| of each member's knocks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, parseLine, whyNoLab } from '../lib/lab.mjs';
import { ms, percentile, table } from '../lib/stats.mjs';

const HOSTS = ['198.18.0.2', '198.18.0.3', '198.18.0.4'];
const DELAY = 50;
const KNOCKS = 10;
const RUNS = 10;

export default async function group(ctx) {
  const why = whyNoLab();
  if (why) return console.log(`   skipped: ${why}`);
  const lab = new Lab('grb');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-group-'));
  const saved = process.env.KNOCK_CONFIG;
  try {
    for (const address of HOSTS.slice(1)) lab.exec(lab.server, ['ip', 'addr', 'add', `${address}/24`, 'dev', 'veth0']);
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    // Static neighbours: a first knock must not wait for ARP.
    const mac = JSON.parse(lab.exec(lab.server, ['ip', '-j', 'link', 'show', 'veth0']))[0].address;
    for (const address of HOSTS) lab.exec(lab.client, ['ip', 'neigh', 'replace', address, 'lladdr', mac, 'dev', 'veth0', 'nud', 'permanent']);
    const capture = await lab.capture('tcp[tcpflags] & tcp-syn != 0');
    // Ports tell runs and members apart: run r, kind k (0 group, 1 alone), member m.
    const base = (run, kind, member) => 20000 + run * 200 + kind * 100 + member * 20;
    for (let run = 0; run < RUNS; run++) {
      for (const kind of [0, 1]) {
        const store = path.join(dir, `r${run}k${kind}.yaml`);
        const profiles = HOSTS.map((h, m) => `  m${m}:\n    host: ${h}\n    open: [${Array.from({ length: KNOCKS }, (_, i) => base(run, kind, m) + i).join(', ')}]\n    delay: ${DELAY}\n`);
        writeFileSync(store, `profiles:\n${profiles.join('')}groups:\n  g: [m0, m1, m2]\n`, { mode: 0o600 });
        process.env.KNOCK_CONFIG = store;
        await lab.run(process.execPath, [ctx.knock, kind === 0 ? '@g' : 'm0']);
      }
    }
    const packets = (await capture.stop(300)).map(parseLine).filter((p) => p.proto === 'tcp');
    const skews = [];
    const errors = [[], []];
    for (let run = 0; run < RUNS; run++) {
      for (const kind of [0, 1]) {
        const firsts = [];
        for (let m = 0; m < (kind === 0 ? 3 : 1); m++) {
          const mine = packets.filter((p) => p.port >= base(run, kind, m) && p.port < base(run, kind, m) + KNOCKS);
          if (mine[0]) firsts.push(mine[0].time);
          for (let i = 1; i < mine.length; i++) errors[kind].push(Math.abs((mine[i].time - mine[i - 1].time) * 1000 - DELAY));
        }
        if (kind === 0 && firsts.length === 3) skews.push((Math.max(...firsts) - Math.min(...firsts)) * 1000);
      }
    }
    console.log(`   ${RUNS} runs of @g (3 hosts x ${KNOCKS} TCP knocks, ${DELAY} ms) alternating with one member alone; silent server`);
    table([
      ['run', 'gaps', '|gap-50| p50', 'p99', 'max', 'start skew p50', 'max'],
      ['@g (3 members)', errors[0].length, ms(percentile(errors[0], 50), 3), ms(percentile(errors[0], 99), 3), ms(Math.max(...errors[0]), 3), ms(percentile(skews, 50), 3), ms(Math.max(...skews), 3)],
      ['one member alone', errors[1].length, ms(percentile(errors[1], 50), 3), ms(percentile(errors[1], 99), 3), ms(Math.max(...errors[1]), 3), '-', '-'],
    ]);
  } finally {
    if (saved === undefined) delete process.env.KNOCK_CONFIG;
    else process.env.KNOCK_CONFIG = saved;
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

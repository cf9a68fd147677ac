// Packets per knock with each packet option (TTL, source, both families, UDP payload), TCP,
// UDP and ICMP knocks to a silent server, counted by tcpdump at the server (goal: 1.00).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_V4, CLIENT_V6, Lab, SERVER_V4, SERVER_V6, whyNoLab } from '../lib/lab.mjs';
import { table } from '../lib/stats.mjs';

const RUNS = 3;
const DELAY = 50;
const NAME = 'dual.bench';

export default async function packetsOptions(ctx) {
  const why = whyNoLab(['iptables', 'ip6tables']);
  if (why) return console.log(`   skipped: ${why}`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-home-'));
  const lab = new Lab('clo');
  const hostsDir = path.join('/etc/netns', lab.client);
  try {
    for (const cmd of ['iptables', 'ip6tables']) lab.exec(lab.server, [cmd, '-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    for (const cmd of ['iptables', 'ip6tables']) lab.exec(lab.server, [cmd, '-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '-j', 'DROP']);
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(path.join(hostsDir, 'hosts'), `${SERVER_V4} ${NAME}\n${SERVER_V6} ${NAME}\n`);
    lab.exec(lab.client, ['ping', '-c', '1', '-W', '2', SERVER_V4]);
    lab.exec(lab.client, ['ping', '-6', '-c', '1', '-W', '2', SERVER_V6]);
    mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
    writeFileSync(
      path.join(home, '.config', 'knock', 'config.yaml'),
      `profiles:\n  payload:\n    host: ${SERVER_V4}\n    delay: ${DELAY}\n    open: [7000, {port: 8000, protocol: udp, payload: "hex:deadbeef"}, icmp, {port: 8001, protocol: udp, payload: "text:open sesame"}]\n`,
      { mode: 0o600 },
    );
    const knocks = ['7000', '8000:udp', 'icmp', '7001'];
    const variants = [
      ['no option', ['-d', String(DELAY), SERVER_V4, ...knocks], 1],
      ['--ttl 9', ['--ttl', '9', '-d', String(DELAY), SERVER_V4, ...knocks], 1],
      ['--source veth0', ['--source', 'veth0', '-d', String(DELAY), SERVER_V4, ...knocks], 1],
      ['-4 -6 (both families)', ['-4', '-6', '-d', String(DELAY), NAME, ...knocks], 2],
      ['-6 --ttl 9 --source veth0', ['-6', '--ttl', '9', '--source', 'veth0', '-d', String(DELAY), SERVER_V6, ...knocks], 1],
      ['UDP payloads (profile)', ['payload'], 1],
    ];
    const rows = [['options', 'knocks', 'packets', 'per knock']];
    for (const [name, args, families] of variants) {
      const capture = await lab.capture(`(src host ${CLIENT_V4} or src host ${CLIENT_V6}) and (tcp or udp or icmp or (icmp6 and ip6[40] == 128))`);
      for (let run = 0; run < RUNS; run++) await lab.run(process.execPath, [ctx.knock, ...args], { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') });
      // Past the kernel's first SYN retransmit (~1 s): a retransmit would count.
      const seen = await capture.stop(1300);
      const total = RUNS * knocks.length * families;
      rows.push([name, total, seen.length, (seen.length / total).toFixed(2)]);
    }
    console.log(`   ${RUNS} runs x ${knocks.length} knocks (TCP, UDP, ICMP, TCP) ${DELAY} ms apart per option, silent server (goal: 1.00 per knock)`);
    table(rows);
  } finally {
    lab.destroy();
    rmSync(hostsDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

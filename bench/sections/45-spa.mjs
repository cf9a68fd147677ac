// Time from `knock open NAME --wait PORT` starting to the port answering: an SPA profile against
// Debian's fwknopd (pcap on the server's veth, iptables backend, its default loop sleep) beside
// a knock profile against the iptables door `knock rules` writes; whole processes through
// `ip netns exec`, interleaved round by round; medians.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, SERVER_V4, whyNoLab } from '../lib/lab.mjs';
import { median, ms, percentile, table } from '../lib/stats.mjs';

const ROUNDS = 15;
const WARMUP = 2;

export default async function spaOpen(ctx) {
  const why = whyNoLab(['iptables', 'iptables-restore', 'fwknopd']) ?? (existsSync('/usr/sbin/fwknopd') ? undefined : 'needs /usr/sbin/fwknopd');
  if (why) return console.log(`   skipped: ${why}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-spa-'));
  const lab = new Lab('cls');
  try {
    const key = Buffer.alloc(32, 0x21).toString('base64');
    const hmac = Buffer.alloc(64, 0x22).toString('base64');
    mkdirSync(path.join(dir, '.config', 'knock'), { recursive: true });
    writeFileSync(
      path.join(dir, '.config', 'knock', 'config.yaml'),
      `profiles:\n  vault:\n    host: ${SERVER_V4}\n    port: 22\n    spa:\n      key_base64: "${key}"\n      hmac_key_base64: "${hmac}"\n` +
        `  office:\n    host: ${SERVER_V4}\n    port: 2222\n    delay: 0\n    open: [7000, "8000:udp", 9000]\n    close: [9100, 7100]\n`,
      { mode: 0o600 },
    );
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config') };
    delete env.KNOCK_CONFIG;
    // The services: a banner on 22 (behind fwknopd) and on 2222 (behind the knock door), both dropped until opened.
    const banner = (port) => `require('net').createServer((s) => { s.on('error', () => {}); s.end('SSH-2.0-bench\\r\\n'); }).listen(${port}, '0.0.0.0')`;
    for (const port of [22, 2222]) lab.children.push(spawn('ip', ['netns', 'exec', lab.server, process.execPath, '-e', banner(port)], { stdio: 'ignore' }));
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    const rules = spawnSync(process.execPath, [ctx.knock, 'rules', 'office', '--format', 'iptables'], { env, encoding: 'utf8' });
    if (rules.status !== 0) throw new Error(`knock rules: ${rules.stderr}`);
    const restore = spawnSync('ip', ['netns', 'exec', lab.server, 'iptables-restore', '--noflush'], { input: rules.stdout, encoding: 'utf8' });
    if (restore.status !== 0) throw new Error(`iptables-restore: ${restore.stderr}`);
    writeFileSync(path.join(dir, 'fwknopd.conf'), `FWKNOP_RUN_DIR ${dir}\nPCAP_INTF veth0\nPCAP_FILTER udp port 62201\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'access.conf'), `SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\nKEY_BASE64 ${key}\nHMAC_KEY_BASE64 ${hmac}\n`, { mode: 0o600 });
    const d = spawn('ip', ['netns', 'exec', lab.server, '/usr/sbin/fwknopd', '-f', '-i', 'veth0', '-c', path.join(dir, 'fwknopd.conf'), '-a', path.join(dir, 'access.conf'), '-d', path.join(dir, 'digest.cache'), '-p', path.join(dir, 'pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lab.children.push(d);
    let log = '';
    d.stdout.on('data', (b) => (log += b));
    d.stderr.on('data', (b) => (log += b));
    const t0 = Date.now();
    while (!/main event loop/i.test(log)) {
      if (Date.now() - t0 > 15000) throw new Error(`fwknopd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const commands = [
      ['node -e 0', process.execPath, ['-e', '0'], () => {}],
      ['knock open vault --wait 22 (SPA, fwknopd)', process.execPath, [ctx.knock, 'open', 'vault', '--wait', '22'], () => lab.exec(lab.server, ['iptables', '-F', 'FWKNOP_INPUT'])],
      ['knock open office --wait 2222 (3 knocks, iptables door)', process.execPath, [ctx.knock, 'open', 'office', '--wait', '2222'], () => spawnSync('ip', ['netns', 'exec', lab.client, process.execPath, ctx.knock, 'close', 'office'], { env, stdio: 'ignore' })],
    ];
    const samples = commands.map(() => []);
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const [i, [, command, args, reset]] of commands.entries()) {
        const start = process.hrtime.bigint();
        const result = spawnSync('ip', ['netns', 'exec', lab.client, command, ...args], { env, cwd: dir, stdio: 'ignore' });
        const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
        if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status ?? result.signal}`);
        if (round >= WARMUP) samples[i].push(elapsed);
        reset();
      }
    }
    const base = median(samples[0]);
    console.log(`   ${ROUNDS} interleaved rounds (+${WARMUP} warm-up); from the process start to the port's answer (--wait), door closed again between rounds`);
    table([
      ['command', 'wall median', 'p25..p75', 'ratio to node -e 0'],
      ...commands.map(([name], i) => [name, ms(median(samples[i]), 1), `${percentile(samples[i], 25).toFixed(1)}..${percentile(samples[i], 75).toFixed(1)}`, `${(median(samples[i]) / base).toFixed(2)}x`]),
    ]);
    console.log(`   SPA / knock profile = ${(median(samples[1]) / median(samples[2])).toFixed(2)}x (fwknopd reads its pcap every PCAP_LOOP_SLEEP, 100 ms by default, then runs iptables)`);
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

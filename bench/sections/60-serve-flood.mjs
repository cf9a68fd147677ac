// knock serve under load: how long a real open sequence takes to be reported (last knock sent
// -> "open" line on serve's stdout) while 20k IPv6 sources are mid-sequence and 1500 more arrive
// each second, against the same with no flood. Needs root (namespaces).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, whyNoLab } from '../lib/lab.mjs';

const CLIENT_V6 = '2001:db8:0:1::1';
const SERVER_V6 = '2001:db8:0:1::2';
const PORTS = [7001, 7002, 7003];

const wallMs = () => performance.timeOrigin + performance.now();

async function oneRun(ctx, lab, env, floodConfig) {
  const serve = spawn('ip', ['netns', 'exec', lab.server, process.execPath, ctx.knock, 'serve', 'door', '--bind', SERVER_V6, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const opened = new Map();
  let lines = 0;
  let listening;
  const up = new Promise((r) => (listening = r));
  let partial = '';
  serve.stdout.setEncoding('utf8').on('data', (d) => {
    const now = wallMs();
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const line of parts) {
      lines++;
      if (line.includes('"listening"')) listening();
      else if (line.includes('"event":"open"')) opened.set(JSON.parse(line).src, now);
    }
  });
  await up;
  const flood = spawn('ip', ['netns', 'exec', lab.client, process.execPath, path.join(ctx.root, 'test', 'lab', 'ipv6-flood.mjs'), JSON.stringify(floodConfig)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const probes = [];
  let fpartial = '';
  flood.stdout.setEncoding('utf8').on('data', (d) => {
    fpartial += d;
    const parts = fpartial.split('\n');
    fpartial = parts.pop();
    for (const line of parts) {
      const e = JSON.parse(line);
      if (e.probe) probes.push(e);
    }
  });
  await new Promise((r) => flood.once('close', r));
  await new Promise((r) => setTimeout(r, 500));
  // `ip netns exec` execs node: serve's pid is the child's own.
  const rssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${serve.pid}/status`, 'utf8'))?.[1]);
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('close', r));
  const latencies = probes.filter((p) => opened.has(p.probe)).map((p) => opened.get(p.probe) - p.sentAt);
  return { latencies, lost: probes.length - latencies.length, probes: probes.length, lines, rssKb };
}

export default async function (ctx) {
  const why = whyNoLab(['sysctl']);
  if (why) {
    console.log(`serve flood: skipped (${why})`);
    return;
  }
  const lab = new Lab('bf');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-flood-'));
  try {
    lab.exec(lab.client, ['ip', '-6', 'addr', 'add', `${CLIENT_V6}/64`, 'dev', 'veth0', 'nodad']);
    lab.exec(lab.server, ['ip', '-6', 'addr', 'add', `${SERVER_V6}/64`, 'dev', 'veth0', 'nodad']);
    lab.exec(lab.client, ['sysctl', '-qw', 'net.ipv6.ip_nonlocal_bind=1']);
    // Neighbour discovery done before the first timed probe (its first try can take a second).
    lab.exec(lab.client, ['ping', '-6', '-n', '-c', '1', '-W', '2', SERVER_V6]);
    writeFileSync(path.join(dir, 'config.yaml'), `profiles:\n  door:\n    host: "${SERVER_V6}"\n    open: [${PORTS.map((p) => `"${p}:udp"`).join(', ')}]\n    seq_timeout: 60\n`, { mode: 0o600 });
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, KNOCK_CONFIG: path.join(dir, 'config.yaml') };
    const probe = (prefix) => ({ ports: PORTS, prefix, everyMs: 200 });
    const base = { server: SERVER_V6, port: PORTS[0], prefix: '2001:db8:100::', maxSeconds: 60 };
    const quiet = (k) => ({ ...base, initial: 0, initialRatePerSec: 1, more: 0, ratePerSec: 1, minSeconds: 8, probe: probe(`2001:db8:20${k}::`) });
    const flood = (k) => ({ ...base, initial: 20_000, initialRatePerSec: 5000, more: 20_000, ratePerSec: 1500, probe: probe(`2001:db8:30${k}::`) });
    const runs = { quiet: [], flood: [] };
    // Alternating, so a change in the machine's load falls on both.
    for (let k = 0; k < 2; k++) {
      runs.quiet.push(await oneRun(ctx, lab, env, quiet(k)));
      runs.flood.push(await oneRun(ctx, lab, env, flood(k)));
    }
    const stats = (rs) => {
      const all = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const q = (p) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? NaN;
      return { p50: q(0.5), p99: q(0.99), max: all.at(-1) ?? NaN, n: all.length, lost: rs.reduce((s, r) => s + r.lost, 0), rssKb: Math.max(...rs.map((r) => r.rssKb)), lines: rs.reduce((s, r) => s + r.lines, 0) };
    };
    const f = (x) => x.toFixed(2);
    const q = stats(runs.quiet);
    const fl = stats(runs.flood);
    console.log('serve flood: a 3-knock UDP open (last knock -> "open" line), goal: within 100 ms under the flood');
    console.log(`  no flood                              p50 ${f(q.p50)} ms  p99 ${f(q.p99)} ms  max ${f(q.max)} ms  opens ${q.n}, lost ${q.lost}, serve peak RSS ${(q.rssKb / 1024).toFixed(0)} MB`);
    console.log(`  20k mid-sequence + 1500 new sources/s p50 ${f(fl.p50)} ms  p99 ${f(fl.p99)} ms  max ${f(fl.max)} ms  opens ${fl.n}, lost ${fl.lost}, serve peak RSS ${(fl.rssKb / 1024).toFixed(0)} MB, ${fl.lines} event lines`);
    console.log(`  ratio (flood / none)                  p50 ${f(fl.p50 / q.p50)}  p99 ${f(fl.p99 / q.p99)}`);
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

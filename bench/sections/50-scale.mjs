// Cost against size: an unknown target with a ~/.ssh/config of 1000, 4000 and 22000 Host
// blocks (22000: 1.2 MB), and `list`, `add`, `remove` on a store of 1000 and 10000 profiles
// (10000: 780 KB), each beside a 10-block / 10-profile baseline in the same rounds. Printed:
// the median whole-process wall and CPU time, and the growth over the baseline as a multiple of
// the smallest size's (linear: 4 and 22 for ssh, 10 for the store; n² would be 16, 484, 100).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, table } from '../lib/stats.mjs';

const ROUNDS = 3;

function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

function sshHome(root, blocks) {
  const home = path.join(root, `ssh-${blocks}`);
  mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(path.join(home, '.config', 'knock'), { recursive: true, mode: 0o700 });
  let text = '';
  for (let i = 0; i < blocks; i++) text += `Host h${i}\n  HostName 198.18.${(i >> 8) & 255}.${i & 255}\n  Port 22\n  User u\n\n`;
  writeFileSync(path.join(home, '.ssh', 'config'), text, { mode: 0o600 });
  writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), 'profiles:\n  a:\n    host: 198.18.0.1\n    open: [1, 2]\n', { mode: 0o600 });
  return home;
}

function storeHome(root, profiles) {
  const home = path.join(root, `store-${profiles}`);
  mkdirSync(path.join(home, '.config', 'knock'), { recursive: true, mode: 0o700 });
  let text = '# team\nprofiles:\n';
  for (let i = 0; i < profiles; i++) text += `  p${i}:\n    host: 198.18.${(i >> 8) & 255}.${i & 255}\n    open: [${7000 + (i % 100)}, 8000:udp, 9000]\n    port: 22\n`;
  writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), text, { mode: 0o600 });
  return home;
}

function run(knock, home, args, expected) {
  const env = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: home };
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const result = spawnSync(knock, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (result.status !== expected) throw new Error(`knock ${args.join(' ')} (HOME ${home}) exited ${result.status}: ${result.stderr}`);
  return { wall, cpu: childrenCpuMs() - cpu0 };
}

/** Each round runs every command at every size in turn (add before remove), so load falls alike. */
function report(title, sizes, commands, measure) {
  console.log(`   ${title}`);
  const rows = [['size', 'command', 'wall ms', 'cpu ms', 'growth over baseline / smallest', 'linear']];
  const samples = new Map(commands.map((c) => [c, new Map(sizes.map((s) => [s, { wall: [], cpu: [] }]))]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const size of sizes) {
      for (const command of commands) {
        const { wall, cpu } = measure(size, command);
        samples.get(command).get(size).wall.push(wall);
        samples.get(command).get(size).cpu.push(cpu);
      }
    }
  }
  const [base, first] = sizes;
  for (const command of commands) {
    const wallOf = (s) => median(samples.get(command).get(s).wall);
    for (const size of sizes) {
      const growth = size === base ? '' : ((wallOf(size) - wallOf(base)) / Math.max(1, wallOf(first) - wallOf(base))).toFixed(1);
      rows.push([size, command.join(' '), wallOf(size).toFixed(0), median(samples.get(command).get(size).cpu).toFixed(0), growth, size === base ? '' : (size / first).toFixed(0)]);
    }
  }
  table(rows);
}

export default async function section({ knock }) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-scale-'));
  try {
    const ssh = new Map([10, 1000, 4000, 22000].map((n) => [n, sshHome(root, n)]));
    report('unknown target, ~/.ssh/config of N Host blocks (exit 2: unknown profile)', [10, 1000, 4000, 22000], [['-n', 'unknown-target']], (n, args) => run(knock, ssh.get(n), args, 2));
    const stores = new Map([10, 1000, 10000].map((n) => [n, storeHome(root, n)]));
    report('store of N profiles', [10, 1000, 10000], [['list'], ['add', 'new-one', '198.18.0.1', '1', '2', '3'], ['remove', 'new-one']], (n, args) => run(knock, stores.get(n), args, 0));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

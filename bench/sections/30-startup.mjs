// Whole-process time of `knock --version`, `knock PROFILE` (one TCP knock to a closed loopback
// port) and its dry run against `node -e 0`, as median ratios; knock(1) as a reference. Runs are
// interleaved round by round, with NODE_EXTRA_CA_CERTS unset and set alternating in the same
// rounds, so the machine's load falls on every command alike. The goals are judged unset (a
// user's machine usually has no extra CA file; node reads it at every start).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { median, ms, percentile, table } from '../lib/stats.mjs';

const KNOCK1 = '/usr/bin/knock';
const ROUNDS = 30;
const WARMUP = 3;
const GOALS = { version: 1.2, profile: 1.3 };

/** A loopback port nothing listens on (bound and released by the kernel's choice). */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * CPU time (user + system, ms) of this process's waited-for children, from /proc (Linux; in
 * 10 ms ticks, so only sums over many runs mean much). Less disturbed by a busy machine than
 * wall time. Undefined elsewhere.
 */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function time(command, args, env, cwd) {
  const t0 = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, cwd, stdio: 'ignore' });
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}`);
  return elapsed;
}

function measure(commands, cwd) {
  const samples = commands.map(() => []);
  const cpu = commands.map(() => 0);
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const [i, [, command, args, env]] of commands.entries()) {
      const c0 = childrenCpuMs();
      const t = time(command, args, env, cwd);
      const c1 = childrenCpuMs();
      if (round >= WARMUP) {
        samples[i].push(t);
        cpu[i] += c1 === undefined || c0 === undefined ? NaN : c1 - c0;
      }
    }
  }
  return { samples, cpu: cpu.map((c) => c / ROUNDS) };
}

export default async function startup(ctx) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-home-'));
  try {
    const port = await closedPort();
    mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), `profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${port}]\n`);
    const commands = [
      ['node -e 0', process.execPath, ['-e', '0']],
      ['knock --version', ctx.knock, ['--version']],
      ['knock lo (profile)', ctx.knock, ['lo']],
      ['knock -n lo (dry run)', ctx.knock, ['-n', 'lo']],
      [`knock 127.0.0.1 ${port}`, ctx.knock, ['127.0.0.1', String(port)]],
    ];
    if (existsSync(KNOCK1)) commands.push([`knock(1) 127.0.0.1 ${port}`, KNOCK1, ['127.0.0.1', String(port)]]);
    const base = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    delete base.KNOCK_CONFIG;
    const without = { ...base };
    delete without.NODE_EXTRA_CA_CERTS;
    const envs = [['NODE_EXTRA_CA_CERTS unset', without]];
    if (base.NODE_EXTRA_CA_CERTS) envs.push([`NODE_EXTRA_CA_CERTS set (as here)`, base]);
    // Every command in every environment, alternating within each round.
    const all = commands.flatMap((c) => envs.map(([, env]) => [c[0], c[1], c[2], env]));
    // From the home directory, as a user would run it (the store search starts at the cwd).
    const { samples, cpu } = measure(all, home);
    for (const [e, [label]] of envs.entries()) {
      const at = (i) => i * envs.length + e;
      const baseline = median(samples[at(0)]);
      console.log(`   ${label}: ${ROUNDS} interleaved rounds (+${WARMUP} warm-up); wall median [p25..p75] and mean CPU (user+sys)`);
      table([
        ['command', 'wall median', 'p25..p75', 'ratio', 'CPU mean', 'ratio'],
        ...commands.map(([name], i) => [
          name,
          ms(median(samples[at(i)]), 1),
          `${percentile(samples[at(i)], 25).toFixed(1)}..${percentile(samples[at(i)], 75).toFixed(1)}`,
          `${(median(samples[at(i)]) / baseline).toFixed(2)}x`,
          Number.isNaN(cpu[at(i)]) ? 'n/a' : ms(cpu[at(i)], 1),
          Number.isNaN(cpu[at(i)]) ? '' : `${(cpu[at(i)] / cpu[at(0)]).toFixed(2)}x`,
        ]),
      ]);
      const ratio = (i) => median(samples[at(i)]) / baseline;
      const judged = e === 0;
      const verdict = (r, goal) => (judged ? `goal <= ${goal}x: ${r <= goal ? 'met' : 'MISSED'}` : 'for reference');
      console.log(`   knock --version / node -e 0 = ${ratio(1).toFixed(2)}x (${verdict(ratio(1), GOALS.version)})`);
      console.log(`   knock PROFILE / node -e 0 = ${ratio(2).toFixed(2)}x (${verdict(ratio(2), GOALS.profile)})`);
      console.log(`   knock -n PROFILE / node -e 0 = ${ratio(3).toFixed(2)}x; / knock PROFILE = ${(ratio(3) / ratio(2)).toFixed(2)}x (${judged ? `goal: no slower: ${ratio(3) <= ratio(2) * 1.05 ? 'met' : 'MISSED'}` : 'for reference'})`);
      console.log(`   knock HOST PORT / node -e 0 = ${ratio(4).toFixed(2)}x (for reference: the table of issue 18)\n`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// Whole-process time of `knock door` against a server that drops every knock (the usual
// case), beside `node -e 0`, a dry run and knock(1), all through `ip netns exec` in the client
// namespace, interleaved round by round; medians.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, SERVER_V4, whyNoLab } from '../lib/lab.mjs';
import { median, ms, percentile, table } from '../lib/stats.mjs';

const KNOCK1 = '/usr/bin/knock';
const ROUNDS = 30;
const WARMUP = 3;
const GOAL = 1.6;

export default async function droppingDoor(ctx) {
  const why = whyNoLab(['iptables']);
  if (why) return console.log(`   skipped: ${why}`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-home-'));
  const lab = new Lab('cld');
  try {
    lab.exec(lab.server, ['iptables', '-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), `profiles:\n  door:\n    host: ${SERVER_V4}\n    delay: 0\n    open: [7000, "8000:udp", 9000]\n`, {
      mode: 0o600,
    });
    const commands = [
      ['node -e 0', process.execPath, ['-e', '0']],
      ['knock door', ctx.knock, ['door']],
      ['knock --dry-run door', ctx.knock, ['--dry-run', 'door']],
      ['knock -v door (waits for answers)', ctx.knock, ['-v', 'door']],
    ];
    if (existsSync(KNOCK1)) commands.push([`knock(1) ${SERVER_V4} 7000 8000:udp 9000`, KNOCK1, [SERVER_V4, '7000', '8000:udp', '9000']]);
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    delete env.KNOCK_CONFIG;
    const samples = commands.map(() => []);
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const [i, [, command, args]] of commands.entries()) {
        const t0 = process.hrtime.bigint();
        const result = spawnSync('ip', ['netns', 'exec', lab.client, command, ...args], { env, cwd: home, stdio: 'ignore' });
        const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
        if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}`);
        if (round >= WARMUP) samples[i].push(elapsed);
      }
    }
    const baseline = median(samples[0]);
    console.log(`   ${ROUNDS} interleaved rounds (+${WARMUP} warm-up), each through ip netns exec; the server drops every knock`);
    table([
      ['command', 'wall median', 'p25..p75', 'ratio'],
      ...commands.map(([name], i) => [
        name,
        ms(median(samples[i]), 1),
        `${percentile(samples[i], 25).toFixed(1)}..${percentile(samples[i], 75).toFixed(1)}`,
        `${(median(samples[i]) / baseline).toFixed(2)}x`,
      ]),
    ]);
    const ratio = median(samples[1]) / baseline;
    console.log(`   knock door / node -e 0 = ${ratio.toFixed(2)}x (goal <= ${GOAL}x: ${ratio <= GOAL ? 'met' : 'MISSED'}); dry run ${(median(samples[2]) / baseline).toFixed(2)}x`);
  } finally {
    lab.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

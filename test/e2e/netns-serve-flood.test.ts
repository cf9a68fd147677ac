// knock serve under load: 20k distinct IPv6 sources mid-sequence and more arriving (a bounded
// flood that stops by itself), while real opens from the knock CLI still get through. How fast
// they are reported is measured in the bench (bench/sections/60-serve-flood.mjs), not here.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CLIENT_V6, describeLab, Lab, SERVER_V6 } from '../lab/netns.js';
import { KNOCK_BIN, ROOT, runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const FLOOD = path.join(ROOT, 'test', 'lab', 'ipv6-flood.mjs');
const INITIAL = 20_000;

/** Reads a child's JSON lines as they come, keeping only what `keep` wants and a count. */
function lineReader(child: ChildProcess, keep: (e: Record<string, unknown>) => boolean) {
  const kept: Record<string, unknown>[] = [];
  let count = 0;
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      count++;
      // Knock lines are most of it: look inside only those that may matter.
      if (line.includes('"knock"') && !line.includes(CLIENT_V6)) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      if (keep(e)) kept.push(e);
    }
  });
  return { kept, count: () => count };
}

describeLab('knock serve under a flood of 20k IPv6 sources (netns)', ['sysctl'], () => {
  let lab: Lab;
  const home = new TempHome();
  const children: ChildProcess[] = [];

  beforeAll(() => {
    lab = Lab.create('fl');
    // Every socket in the client namespace may bind any address (IPV6_FREEBIND for all).
    lab.exec(lab.client, 'sysctl', ['-qw', 'net.ipv6.ip_nonlocal_bind=1']);
    home.writeConfig(`profiles:\n  door:\n    host: "${SERVER_V6}"\n    open: ["7001:udp", "7002:udp", "7003:udp"]\n    seq_timeout: 60\n    delay: 10\n`);
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    lab?.destroy();
    home.cleanup();
  });

  test('real opens succeed while 20k sources are mid-sequence and more arrive', async () => {
    const serve = spawn('ip', ['netns', 'exec', lab.server, process.execPath, KNOCK_BIN, 'serve', 'door', '--bind', SERVER_V6, '--json'], {
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    let serveErr = '';
    serve.stderr!.setEncoding('utf8').on('data', (d: string) => (serveErr += d));
    const events = lineReader(serve, (e) => e.event === 'listening' || e.event === 'open' || e.event === 'reset');
    expect(await until(() => events.kept.some((e) => e.event === 'listening'), 10_000, 20)).toBe(true);

    const flood = spawn(
      'ip',
      [
        'netns', 'exec', lab.client, process.execPath, FLOOD,
        JSON.stringify({ server: SERVER_V6, port: 7001, prefix: '2001:db8:100::', initial: INITIAL, initialRatePerSec: 5000, more: 20_000, ratePerSec: 1500, maxSeconds: 45 }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(flood);
    const phases = lineReader(flood, () => true);
    expect(await until(() => phases.kept.some((p) => p.phase === 'ready'), 40_000, 20)).toBe(true);
    // Every flood source's first knock reached serve: 20k sources mid-sequence (none can finish).
    const arrived = await until(() => events.count() >= INITIAL, 10_000, 20);
    if (!arrived) console.log(`serve reported ${events.count()} lines; the flood said ${JSON.stringify(phases.kept)}; serve's stderr: ${serveErr}`);
    expect(arrived).toBe(true);

    for (let round = 1; round <= 5; round++) {
      const before = events.kept.filter((e) => e.event === 'open').length;
      const result = await runKnock(['door'], { netns: lab.client, env: home.env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await until(() => events.kept.filter((e) => e.event === 'open').length === before + 1, 5_000, 20)).toBe(true);
      expect(events.kept.filter((e) => e.event === 'open').at(-1)).toMatchObject({ src: CLIENT_V6, door: 'open' });
    }
    // Still arriving while the opens went through.
    expect(phases.kept.some((p) => p.phase === 'done')).toBe(false);
    // The flood stops by itself; nothing it sent opened anything or was dropped for the cap.
    expect(await until(() => phases.kept.some((p) => p.phase === 'done'), 40_000, 20)).toBe(true);
    expect(events.kept.filter((e) => e.event === 'open')).toHaveLength(5);
    expect(events.kept.filter((e) => e.event === 'reset' && e.reason === 'evicted')).toEqual([]);
    expect(serveErr).toBe('');
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('close', r));
  }, 120_000);
});

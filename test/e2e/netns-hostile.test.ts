// Issue 9's hostile inputs on the wire: each one, aimed at a real server address in a
// namespace, is answered by itself (exit 2, one line), and tcpdump at the server sees not
// one packet from the client for any of them; a good knock afterwards is seen (the check can fail).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';

/** A hang is a kill; generous, so a slow start on a loaded machine is no hang (how fast is not asserted). */
const ANSWER_WITHIN_MS = 30_000;
const KNOCKS = ['7000', '8000:udp', 'icmp:64', '9000'];
const PROFILE = `  office:\n    host: ${SERVER_V4}\n    open: [${KNOCKS.map((k) => `"${k}"`).join(', ')}]\n`;

describeLab('hostile inputs send nothing (netns, tcpdump)', ['tcpdump', 'iptables', 'ping', 'mkfifo'], () => {
  let lab: Lab;
  let home: TempHome;
  let shared: string;
  beforeAll(() => {
    lab = Lab.create('kh');
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    home = new TempHome();
    shared = mkdtempSync(path.join(os.tmpdir(), 'knock-hostile-'));
  });
  afterAll(() => {
    lab?.destroy();
    home?.cleanup();
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  const file = (name: string, text: string, mode = 0o600) => {
    const f = path.join(shared, name);
    writeFileSync(f, text, { mode });
    chmodSync(f, mode);
    return f;
  };

  /** Each case sets up its files and returns the arguments. */
  const cases: [string, () => string[]][] = [
    ['-d 1e303', () => ['-d', '1e303', SERVER_V4, ...KNOCKS]],
    ['-d 99999999999', () => ['-d', '99999999999', SERVER_V4, ...KNOCKS]],
    ['-d 99999999999 with a profile', () => ['--config', file('p.yaml', `profiles:\n${PROFILE}`), '-d', '99999999999', 'office']],
    ['a profile with delay 1e303', () => ['--config', file('d.yaml', `profiles:\n${PROFILE}    delay: 1e303\n`), 'office']],
    ['a profile with seq_timeout .inf', () => ['--config', file('s.yaml', `profiles:\n${PROFILE}    seq_timeout: .inf\n`), 'office']],
    ['257 knocks', () => [SERVER_V4, ...Array(257).fill('7000')]],
    ['a FIFO as --config', () => {
      const fifo = path.join(shared, 'fifo');
      execFileSync('mkfifo', [fifo]);
      // With a profile target: whether ad-hoc knocks check --config too is the command line's rule.
      return ['--config', fifo, 'office'];
    }],
    ['/dev/urandom as --config', () => ['--config', '/dev/urandom', 'office']],
    ['a 50 MB store', () => {
      const big = file('big.yaml', `profiles:\n${PROFILE}`);
      truncateSync(big, 50 * 1024 * 1024);
      return ['--config', big, 'office'];
    }],
    ['a store others can write (0666)', () => ['--config', file('w.yaml', `profiles:\n${PROFILE}`, 0o666), 'office']],
    ['a store planted by nobody', () => {
      const planted = file('planted.yaml', `profiles:\n${PROFILE}`, 0o644);
      chownSync(planted, 65534, 65534);
      return ['--config', planted, 'office'];
    }],
    ['a file that is not a store', () => ['--config', file('shadow', 'root:$y$j9T$hash:19700:0:99999:7:::\n'), 'office']],
  ];

  test('each is refused by itself, in one line, and tcpdump sees no packet', async () => {
    // Everything from the client, ARP included: nothing at all may leave for these.
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const timings: string[] = [];
    for (const [name, setup] of cases) {
      const started = process.hrtime.bigint();
      const result = await runKnock(setup(), { env: home.env, netns: lab.client, timeoutMs: ANSWER_WITHIN_MS });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      timings.push(`${name}: exit ${result.code} in ${ms.toFixed(0)} ms`);
      expect({ name, signal: result.signal, code: result.code, stdout: result.stdout }).toEqual({ name, signal: null, code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^knock: [^\n]+\n$/);
      expect(result.stderr).not.toMatch(/hash|19700/);
    }
    process.stderr.write(`hostile inputs (netns): ${timings.join('; ')}\n`);
    expect(await capture.stop(1500)).toEqual([]);
  }, (cases.length + 2) * ANSWER_WITHIN_MS);

  test('the same knocks, not hostile, are seen by tcpdump (the check above can fail)', async () => {
    const capture = await Capture.start(lab, lab.server, `ip src host ${CLIENT_V4}`);
    const result = await runKnock(['--config', file('good.yaml', `profiles:\n${PROFILE}`), 'office'], { env: home.env, netns: lab.client });
    expect(result.code).toBe(0);
    expect((await capture.stop(1500)).map((p) => p.proto)).toEqual(['tcp', 'udp', 'icmp', 'tcp']);
  });
});

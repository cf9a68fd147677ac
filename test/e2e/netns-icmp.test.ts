// ICMP knocks on the wire, by each way they can leave: a raw socket (root), an ICMP datagram
// socket (an unprivileged user inside ping_group_range), the system ping (outside it). The
// server's kernel answers each echo: its identifier, checksum and size are right.
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { Capture, CLIENT_V4, CLIENT_V6, describeLab, Lab, SERVER_V4, SERVER_V6, sh } from '../lab/netns.js';
import { publicKnockBin, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { PING_ARGV_WARNING } from '../../src/knock/transport/icmp.js';
import { until } from '../helpers/until.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

interface JsonKnock {
  token: string;
  result: string;
  detail?: string;
  sentMs: number;
}

describeLab('ICMP knocks (netns, tcpdump, raw / datagram / ping)', ['tcpdump', 'iptables', 'ping', 'setpriv'], () => {
  let lab: Lab;
  const home = new TempHome();
  beforeAll(() => {
    lab = Lab.create('ki');
    lab.exec(lab.client, 'ping', ['-c', '1', '-W', '3', SERVER_V4]);
    lab.exec(lab.client, 'ping', ['-6', '-c', '1', '-W', '3', SERVER_V6]);
    // TCP knocks dropped, echo requests answered.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    // The unprivileged runs need to read their HOME.
    chmodSync(home.dir, 0o755);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  /** nobody's env: the HOME (read only), and its lock directory in TMPDIR, not root's XDG_RUNTIME_DIR. */
  const nobodyEnv = () => {
    const env = { ...home.env };
    delete env.XDG_RUNTIME_DIR;
    return env;
  };
  const asNobody = (args: string[]) => runProcess('ip', ['netns', 'exec', lab.client, ...NOBODY, process.execPath, publicKnockBin(), ...args], { env: nobodyEnv() });

  /** Echo requests from the client and replies from the server, in order, with the request sizes. */
  async function echoes(capture: Capture) {
    const packets = await capture.stop(300);
    const requests = packets.filter((p) => (p.src === CLIENT_V4 || p.src === CLIENT_V6) && /echo request/.test(p.line));
    const replies = packets.filter((p) => (p.src === SERVER_V4 || p.src === SERVER_V6) && /echo reply/.test(p.line));
    return { packets, requests, replies };
  }

  test('root: a raw socket, on schedule between TCP knocks; the server answers every echo', async () => {
    const capture = await Capture.start(lab, lab.server, 'icmp or (tcp and dst port 7000 or dst port 7001 or dst port 7002)');
    const result = await runKnock(['--json', '-d', '200', SERVER_V4, '7000', 'icmp:100', '7001', 'icmp', '7002'], { netns: lab.client });
    expect([result.code, result.stderr]).toEqual([0, '']);
    const knocks = (JSON.parse(result.stdout) as { knocks: JsonKnock[] }).knocks;
    expect(knocks.filter((k) => k.token.startsWith('icmp')).map((k) => [k.result, k.detail])).toEqual([
      ['reply', 'from an ICMP raw socket'],
      ['reply', 'from an ICMP raw socket'],
    ]);
    const { packets, requests, replies } = await echoes(capture);
    expect(requests.map((p) => /length (\d+)/.exec(p.line)?.[1])).toEqual(['108', '64']);
    // The same identifier and sequence came back: the kernel took the checksum as valid.
    expect(replies.map((p) => /id (\d+), seq (\d+)/.exec(p.line)?.slice(1))).toEqual(requests.map((p) => /id (\d+), seq (\d+)/.exec(p.line)?.slice(1)));
    const sent = packets.filter((p) => p.src === CLIENT_V4);
    expect(sent.map((p) => p.proto)).toEqual(['tcp', 'icmp', 'tcp', 'icmp', 'tcp']);
    // On schedule by knock's own monotonic clock: none left before its deadline (0, 200, ... ms).
    // The wire shows the order above; its gaps are not bounded here, since a knock that a busy
    // machine sends late shortens the next gap (deadlines are absolute) with nothing wrong.
    knocks.forEach((k, i) => expect(k.sentMs).toBeGreaterThanOrEqual(i * 200));
  });

  test('root, IPv6: a raw ICMPv6 socket; the kernel fills in the checksum and the server answers', async () => {
    const capture = await Capture.start(lab, lab.server, 'icmp6 and (ip6[40] == 128 or ip6[40] == 129)');
    const result = await runKnock(['-6', '--json', SERVER_V6, 'icmp:64'], { netns: lab.client });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { knocks: JsonKnock[] }).knocks.map((k) => [k.result, k.detail])).toEqual([['reply', 'from an ICMP raw socket']]);
    const { requests, replies } = await echoes(capture);
    expect([requests.length, replies.length]).toEqual([1, 1]);
  });

  test('unprivileged inside ping_group_range: an ICMP datagram socket, IPv4 and IPv6', async () => {
    lab.exec(lab.client, 'sysctl', ['-q', '-w', 'net.ipv4.ping_group_range=0 2147483647']);
    try {
      const capture = await Capture.start(lab, lab.server, 'icmp or (icmp6 and (ip6[40] == 128 or ip6[40] == 129))');
      const v4 = await asNobody(['--json', '--ttl', '9', SERVER_V4, 'icmp:20']);
      const v6 = await asNobody(['-6', '--json', SERVER_V6, 'icmp:20']);
      for (const run of [v4, v6]) {
        expect([run.code, run.stderr]).toEqual([0, '']);
        expect((JSON.parse(run.stdout) as { knocks: JsonKnock[] }).knocks.map((k) => [k.result, k.detail])).toEqual([['reply', 'from an ICMP datagram socket']]);
      }
      const { requests, replies } = await echoes(capture);
      expect([requests.length, replies.length]).toEqual([2, 2]);
    } finally {
      lab.exec(lab.client, 'sysctl', ['-q', '-w', 'net.ipv4.ping_group_range=1 0']);
    }
  });

  test('unprivileged outside ping_group_range: the system ping, parked ahead and on schedule', async () => {
    const capture = await Capture.start(lab, lab.server, 'icmp or (tcp and dst port 7000 or dst port 7001)');
    const result = await asNobody(['--json', '-d', '200', SERVER_V4, '7000', 'icmp:100', '7001']);
    // ping's command line shows the size in ps: said once.
    expect([result.code, result.stderr]).toEqual([0, `knock: warning: ${PING_ARGV_WARNING}\n`]);
    const knocks = (JSON.parse(result.stdout) as { knocks: JsonKnock[] }).knocks;
    expect(knocks[1]).toMatchObject({ result: 'reply', detail: 'from the system ping' });
    // On schedule by knock's own monotonic clock: none left before its deadline (0, 200, 400 ms).
    expect(knocks).toHaveLength(3);
    knocks.forEach((k, i) => expect(k.sentMs).toBeGreaterThanOrEqual(i * 200));
    const { packets, requests, replies } = await echoes(capture);
    expect([requests.length, replies.length]).toEqual([1, 1]);
    expect(requests[0]!.line).toContain('length 108');
    const sent = packets.filter((p) => p.src === CLIENT_V4);
    // On the wire: the parked ping's echo between the two TCP knocks, not at its parking. The
    // gaps between packets are not asserted: a knock late under load shortens the next gap
    // (deadlines are absolute), so a gap bound fails on a busy machine with nothing wrong.
    expect(sent.map((p) => p.proto)).toEqual(['tcp', 'icmp', 'tcp']);
  });

  test('knock killed (-9) before its ICMP deadline: the parked ping reads EOF and sends nothing', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (icmp or tcp)`);
    const child = spawn('ip', ['netns', 'exec', lab.client, ...NOBODY, process.execPath, publicKnockBin(), '-d', '1500', SERVER_V4, '7000', 'icmp:77'], {
      env: nobodyEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The event: the first knock on the wire (the second is 1.5 s after it), however slow the start.
    expect(await until(() => capture.packets().some((p) => p.proto === 'tcp'), 15000, 5)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const packets = await capture.stop(2000);
    expect(packets.map((p) => p.proto)).toEqual(['tcp']);
    // No shell or ping left behind in the client namespace.
    expect(sh(undefined, 'ip', ['netns', 'pids', lab.client]).trim()).toBe('');
  });
});

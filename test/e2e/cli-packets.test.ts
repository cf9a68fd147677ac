// The built CLI against real loopback peers: one 1-byte datagram per UDP knock, in order,
// mixed with TCP knocks to listeners (which accept, so knock warns).
import { runKnock, TempHome, withoutPingWarning } from '../helpers/run-knock.js';
import { labels, LoopbackPeers } from '../helpers/loopback.js';

let home: TempHome;
let peers: LoopbackPeers;
beforeEach(() => {
  home = new TempHome();
  peers = new LoopbackPeers();
});
afterEach(async () => {
  await peers.close();
  home.cleanup();
});

const knock = (args: string[]) => runKnock(args, { env: home.env });

// Order is read from the receiving side, which sees each socket's readiness in kernel order
// (epoll's ready list is FIFO) but drains a socket in one go: order tests use one socket per knock.
test('IPv4: exactly one 0x00 datagram per UDP knock, in order', async () => {
  const [a, b, c, d] = [await peers.udp(), await peers.udp(), await peers.udp(), await peers.udp()];
  const result = await knock(['-d', '5', '127.0.0.1', `${b}:udp`, `${a}:udp`, `${d}:udp`, `${c}:udp`]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^knocked 127\.0\.0\.1: 4 knocks in \d+\.\d ms\n$/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`, `udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${d} 00`, `udp 127.0.0.1:${c} 00`]);
});

test('a port knocked twice gets two datagrams', async () => {
  const [a, b] = [await peers.udp(), await peers.udp()];
  const result = await knock(['-d', '1', '127.0.0.1', `${a}:udp`, `${b}:udp`, `${a}:udp`]);
  expect(result.code).toBe(0);
  expect(labels(await peers.settle()).sort()).toEqual([`udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${b} 00`].sort());
});

test('IPv6 (::1): the same, and -u makes bare ports UDP', async () => {
  const [a, b] = [await peers.udp('::1'), await peers.udp('::1')];
  const result = await knock(['-u', '-d', '2', '::1', String(a), String(b)]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(labels(await peers.settle())).toEqual([`udp ::1:${a} 00`, `udp ::1:${b} 00`]);
});

test('-6 with a name resolves to ::1 only; -4 to 127.0.0.1 only', async () => {
  const v6 = await peers.udp('::1');
  const v4 = await peers.udp('127.0.0.1');
  // "localhost" may or may not have an IPv6 entry in /etc/hosts; the literal forms always work.
  const six = await knock(['-6', '--json', '::1', `${v6}:udp`]);
  expect(six.code).toBe(0);
  expect(JSON.parse(six.stdout)).toMatchObject({ address: '::1', family: 6 });
  const four = await knock(['-4', '--json', 'localhost', `${v4}:udp`]);
  expect(four.code).toBe(0);
  expect(JSON.parse(four.stdout)).toMatchObject({ host: 'localhost', address: '127.0.0.1', family: 4 });
  expect(labels(await peers.settle())).toEqual([`udp ::1:${v6} 00`, `udp 127.0.0.1:${v4} 00`]);
});

test('mixed UDP and TCP at delay 0 arrive in order; an accepted TCP knock warns', async () => {
  const [u1, u2, u3] = [await peers.udp(), await peers.udp(), await peers.udp()];
  const [t1, t2] = [await peers.tcp(), await peers.tcp()];
  for (let round = 0; round < 3; round++) {
    peers.clear();
    const result = await knock(['-d', '0', '127.0.0.1', `${u1}:udp`, `${t1}`, `${u2}:udp`, `${t2}:tcp`, `${u3}:udp`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^knocked 127\.0\.0\.1: 5 knocks in /);
    expect(result.stderr).toBe(
      [2, 4].map((i) => `knock: warning: knock ${i} was accepted by 127.0.0.1: an open port completes a handshake, so more than one packet went there\n`).join(''),
    );
    expect(labels(await peers.settle())).toEqual([
      `udp 127.0.0.1:${u1} 00`,
      `tcp 127.0.0.1:${t1}`,
      `udp 127.0.0.1:${u2} 00`,
      `tcp 127.0.0.1:${t2}`,
      `udp 127.0.0.1:${u3} 00`,
    ]);
  }
});

test('a refused TCP knock is a normal outcome: exit 0, no warning', async () => {
  const closed = await peers.closedTcpPort();
  const u = await peers.udp();
  const result = await knock(['--json', '127.0.0.1', String(closed), `${u}:udp`]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout).knocks.map((k: { result: string }) => k.result)).toEqual(['refused', 'sent']);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${u} 00`]);
});

test('an ICMP knock between UDP knocks keeps its place and is sent through ping', async () => {
  const [a, b] = [await peers.udp(), await peers.udp()];
  const result = await knock(['--json', '-d', '0', '127.0.0.1', `${a}:udp`, 'icmp:16', `${b}:udp`]);
  expect(withoutPingWarning(result.stderr)).toBe('');
  expect(result.code).toBe(0);
  const doc = JSON.parse(result.stdout);
  expect(doc.knocks.map((k: { token: string }) => k.token)).toEqual([`${a}:udp`, 'icmp:16', `${b}:udp`]);
  expect(['reply', 'no-answer']).toContain(doc.knocks[1].result);
  const sent = doc.knocks.map((k: { sentMs: number }) => k.sentMs);
  expect(sent[2]).toBeGreaterThanOrEqual(sent[1]);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${b} 00`]);
});

test('-v: a line as each knock leaves, one as its outcome settles, on stderr; -q: nothing at all; --json: one document', async () => {
  const [a, b] = [await peers.udp(), await peers.udp()];
  const verbose = await knock(['-v', '-d', '200', '127.0.0.1', `${a}:udp`, `${b}:udp`]);
  expect(verbose.code).toBe(0);
  const lines = verbose.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(4);
  expect(lines[0]).toMatch(new RegExp(`^knock 1/2 ${a}:udp -> 127\\.0\\.0\\.1 at \\+\\d+\\.\\d\\d ms$`));
  // Knock 1's outcome is told before knock 2 leaves, 200 ms later: nothing waits for the end.
  expect(lines[1]).toBe(`knock 1/2 ${a}:udp: sent`);
  expect(lines[2]).toMatch(new RegExp(`^knock 2/2 ${b}:udp -> 127\\.0\\.0\\.1 at \\+2\\d\\d\\.\\d\\d ms$`));
  expect(lines[3]).toBe(`knock 2/2 ${b}:udp: sent`);
  expect(verbose.stdout).toMatch(/^knocked 127\.0\.0\.1: 2 knocks in/);

  const quiet = await knock(['-q', '127.0.0.1', `${a}:udp`]);
  expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });

  const json = await knock(['--json', '-d', '30', '127.0.0.1', `${a}:udp`, `${b}:udp`]);
  expect(json.code).toBe(0);
  expect(json.stderr).toBe('');
  const doc = JSON.parse(json.stdout);
  expect(doc).toMatchObject({ action: 'open', target: '127.0.0.1', host: '127.0.0.1', address: '127.0.0.1', family: 4, dryRun: false });
  expect(doc.knocks).toEqual([
    { token: `${a}:udp`, protocol: 'udp', port: a, offsetMs: 0, sentMs: expect.any(Number), result: 'sent' },
    { token: `${b}:udp`, protocol: 'udp', port: b, offsetMs: 30, sentMs: expect.any(Number), result: 'sent' },
  ]);
  // A lower bound any correct run meets: the second knock cannot leave before its offset.
  expect(doc.knocks[1].sentMs).toBeGreaterThanOrEqual(30);
  expect(doc.elapsedMs).toBe(doc.knocks[1].sentMs);
  expect(labels(await peers.settle())).toHaveLength(5);
});

test('--dry-run prints the address and offsets and sends nothing', async () => {
  const [a, b] = [await peers.udp(), await peers.udp()];
  const result = await knock(['--dry-run', '-d', '25', '127.0.0.1', `${a}:udp`, `${b}:udp`, 'icmp:8']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toBe(
    [
      'ad-hoc knocks: 127.0.0.1 (IPv4), 3 knocks over 50 ms',
      `   1. +    0 ms  ${`${a}:udp`.padEnd(11)} udp ${a}`,
      `   2. +   25 ms  ${`${b}:udp`.padEnd(11)} udp ${b}`,
      '   3. +   50 ms  icmp:8      icmp echo, 8 bytes',
      'dry run: nothing was sent',
      '',
    ].join('\n'),
  );
  const json = await knock(['-n', '--json', '127.0.0.1', `${a}:udp`]);
  expect(JSON.parse(json.stdout)).toEqual({
    action: 'open',
    target: '127.0.0.1',
    host: '127.0.0.1',
    address: '127.0.0.1',
    family: 4,
    knocks: [{ token: `${a}:udp`, protocol: 'udp', port: a, offsetMs: 0 }],
    dryRun: true,
  });
  expect(await peers.settle()).toEqual([]);
});

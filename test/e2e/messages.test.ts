// Messages as a new user meets them: a required option's choices, plain system errors,
// knockd's comma form, information that is not an error, and Ctrl-C half-way through.
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { spawnKnock } from '../helpers/proxy-child.js';
import { labels, LoopbackPeers } from '../helpers/loopback.js';
import { until } from '../helpers/until.js';

let home: TempHome;
let peers: LoopbackPeers;
let ports: number[];
beforeAll(async () => {
  peers = new LoopbackPeers();
  ports = [await peers.udp(), await peers.udp(), await peers.udp()];
});
afterAll(() => peers.close());
beforeEach(() => {
  home = new TempHome();
  peers.clear();
});
afterEach(() => home.cleanup());

test('knock rules office without --format lists the formats', async () => {
  home.writeConfig('profiles:\n  office:\n    host: 127.0.0.1\n    open: [7000, 8000, 9000]\n');
  const r = await runKnock(['rules', 'office'], { env: home.env });
  expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'knock: missing --format: one of iptables, nftables, knockd, puppet, fwknopd (see knock rules --help)\n' });
});

test('a file that is not there is one plain line, without the system call', async () => {
  const r = await runKnock(['import', '/nonexistent', '--host', '127.0.0.1'], { env: home.env });
  expect(r.code).not.toBe(0);
  const plain = /^knock: [^\n]*\/nonexistent[^\n]*: no such file[^\n]*\n$/;
  expect(r.stderr).toMatch(plain);
  expect(r.stderr).not.toContain("open '");
  const serve = await runKnock(['serve', '--knockd-conf', '/nonexistent'], { env: home.env });
  expect(serve.stderr).toMatch(plain);
  expect(serve.stderr).not.toContain("open '");
  // A directory where a file goes: the system's words, no syscall.
  const dir = await runKnock(['import', '/', '--host', '127.0.0.1'], { env: home.env });
  expect(dir.code).not.toBe(0);
  expect(dir.stderr.split('\n')).toHaveLength(2);
  expect(dir.stderr).not.toMatch(/E[A-Z]+: [a-z ]+, (open|read) '/);
});

test("knockd's comma form on the command line: the same knocks as with spaces", async () => {
  const [a, b, c] = ports as [number, number, number];
  const r = await runKnock(['-u', '127.0.0.1', `${a},${b}:udp,${c}`], { env: home.env });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${b} 00`, `udp 127.0.0.1:${c} 00`]);
  const add = await runKnock(['add', 'office', '127.0.0.1', '7000,8000:udp,9000'], { env: home.env });
  expect(add.code).toBe(0);
  expect((await runKnock(['show', 'office'], { env: home.env })).stdout).toContain('open:        7000 8000:udp 9000\n');
  const empty = await runKnock(['127.0.0.1', '7000,,8000'], { env: home.env });
  expect(empty.code).toBe(2);
  expect(empty.stderr).toMatch(/^knock: '7000,,8000': an empty knock between commas .*7000 8000:udp 9000\)\n$/);
});

test('knock ssh-config: the information on stderr is not dressed as an error', async () => {
  home.writeConfig('profiles:\n  office:\n    host: 127.0.0.1\n    open: [7000, 8000, 9000]\n');
  const r = await runKnock(['ssh-config', 'office'], { env: home.env });
  expect(r.code).toBe(0);
  expect(r.stderr).not.toMatch(/^knock:/m);
});

test('Ctrl-C after the first knock: says how many were sent and how many not, exit 130, nothing more leaves', async () => {
  const [a, b, c] = ports as [number, number, number];
  home.writeConfig(`profiles:\n  slow:\n    host: 127.0.0.1\n    open: ["${a}:udp", "${b}:udp", "${c}:udp"]\n    delay: 3000\n    seq_timeout: 60\n`);
  const knock = spawnKnock(['slow'], home.env);
  expect(await until(() => peers.arrivals.length > 0, 15000)).toBe(true);
  knock.child.kill('SIGINT');
  const result = await knock.done;
  expect(result.stderr).toBe(`knock: interrupted: 1 of 3 knocks (open slow) sent to 127.0.0.1, 2 not sent (the server saw part of the sequence only)\n`);
  expect(result.code).toBe(130);
  expect(result.stdout.toString()).toBe('');
  expect(labels(await peers.settle(300))).toEqual([`udp 127.0.0.1:${a} 00`]);
});

test('Ctrl-C during a group: per host, how many knocks were sent and how many not, exit 130 (in --json as data), nothing more leaves', async () => {
  const [a1, a2, a3] = ports as [number, number, number];
  // A second host on loopback (a group's members knock distinct addresses).
  const b = [await peers.udp('127.0.0.2'), await peers.udp('127.0.0.2'), await peers.udp('127.0.0.2')] as const;
  const udp = (list: readonly number[]) => list.map((p) => `"${p}:udp"`).join(', ');
  home.writeConfig(
    `profiles:\n  a:\n    host: 127.0.0.1\n    open: [${udp([a1, a2, a3])}]\n    delay: 3000\n    seq_timeout: 60\n` +
      `  b:\n    host: 127.0.0.2\n    open: [${udp(b)}]\n    delay: 3000\n    seq_timeout: 60\n` +
      'groups:\n  fleet: [a, b]\n',
  );
  const line = (who: string, address: string) => `knock: interrupted: 1 of 3 knocks (open ${who}) sent to ${address}, 2 not sent (the server saw part of the sequence only)\n`;
  for (const json of [false, true]) {
    peers.clear();
    const knock = spawnKnock([...(json ? ['--json'] : []), '@fleet'], home.env);
    // Both members' first knocks are due at once: the interrupt comes once both have arrived.
    expect(await until(() => peers.arrivals.length >= 2, 15000)).toBe(true);
    knock.child.kill('SIGINT');
    const result = await knock.done;
    expect({ json, code: result.code, stderr: result.stderr }).toEqual({ json, code: 130, stderr: line('a', '127.0.0.1') + line('b', '127.0.0.2') });
    if (json) {
      const data = JSON.parse(result.stdout.toString()) as Record<string, unknown>[];
      expect(data.map((d) => [d.profile, d.address, d.interrupted, d.sent, d.notSent])).toEqual([
        ['a', '127.0.0.1', true, 1, 2],
        ['b', '127.0.0.2', true, 1, 2],
      ]);
    } else {
      expect(result.stdout.toString()).toBe('');
    }
    expect(labels(await peers.settle(300)).sort()).toEqual([`udp 127.0.0.1:${a1} 00`, `udp 127.0.0.2:${b[0]} 00`].sort());
  }
}, 60000);

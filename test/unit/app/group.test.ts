// knock @GROUP: members planned and resolved before anything is sent; one line per member.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setupCli } from '../../helpers/run-cli.js';
import { until } from '../../helpers/until.js';

const STORE = `
profiles:
  a: {host: 198.18.0.2, open: [1001, 1002], close: [1003], delay: 10}
  b: {host: 198.18.0.3, open: [2001, "2002:udp", 2003], delay: 25}
  c: {host: c.example, open: [3001, 3002], delay: 10}
  d: {host: nowhere.invalid, open: [4001, 4002]}
  ot: {host: 198.18.0.4, one_time_sequences: seq, delay: 10}
  e: {host: 198.18.0.2, open: [5001]}
groups:
  ab: [a, b]
  abc: [a, b, c]
  bad: [a, d, b]
  withot: [a, ot]
  broken: [a, ot, d]
  same: [a, e]
`;

let cli: ReturnType<typeof setupCli>;
beforeEach(() => {
  cli = setupCli(STORE, { 'c.example': '198.18.0.5' });
  writeFileSync(path.join(cli.dir, 'seq'), ' 5001,5002\n 5003,5004\n', { mode: 0o600 });
});
afterEach(() => cli.restore());

const fired = () => cli.transport.fired.map((f) => `${f.to.address}:${f.knock.protocol === 'icmp' ? 'icmp' : f.knock.port}`);

test('every member is knocked from one common start, each on its own schedule; one line each', async () => {
  const r = await cli.knock('@abc');
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n')).toEqual([
    expect.stringMatching(/^knocked a: 2 knocks in [\d.]+ ms$/),
    expect.stringMatching(/^knocked b: 3 knocks in [\d.]+ ms$/),
    expect.stringMatching(/^knocked c \(198\.18\.0\.5\): 2 knocks in [\d.]+ ms$/),
    '',
  ]);
  // Timing needs a real clock (the fake one jumps for every sleeper): the netns test measures it.
  const to = (address: string) => fired().filter((f) => f.startsWith(`${address}:`));
  expect(to('198.18.0.2')).toEqual(['198.18.0.2:1001', '198.18.0.2:1002']);
  expect(to('198.18.0.3')).toEqual(['198.18.0.3:2001', '198.18.0.3:2002', '198.18.0.3:2003']);
  expect(to('198.18.0.5')).toEqual(['198.18.0.5:3001', '198.18.0.5:3002']);
  expect(fired()).toHaveLength(7);
});

test('--json: one array element per member; open and close alike', async () => {
  // b has no close sequence: close skips it, saying so on stderr.
  const r = await cli.knock('close', '@ab', '--json');
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('group @ab: skipping b: no close sequence\n');
  expect((JSON.parse(r.stdout) as { profile: string }[]).map((m) => m.profile)).toEqual(['a']);
  expect(fired()).toEqual(['198.18.0.2:1003']);
  const open = await cli.knock('open', '@ab', '--json');
  const json = JSON.parse(open.stdout) as { profile: string; knocks: unknown[]; dryRun: boolean }[];
  expect(json.map((m) => [m.profile, m.knocks.length, m.dryRun])).toEqual([
    ['a', 2, false],
    ['b', 3, false],
  ]);
});

test('a member that cannot be resolved fails the whole group before any packet, naming it', async () => {
  const r = await cli.knock('@bad');
  expect(r).toEqual({ code: 1, stdout: '', stderr: "knock: group @bad: d: cannot resolve 'nowhere.invalid': no address found\n" });
  expect(cli.transport.armed).toEqual([]);
});

test("a failing member does not use another member's one-time line", async () => {
  const r = await cli.knock('@broken');
  expect(r.code).toBe(1);
  expect(readFileSync(path.join(cli.dir, 'seq'), 'utf8')).toBe(' 5001,5002\n 5003,5004\n');
  expect(cli.transport.armed).toEqual([]);
});

test('a member that fails to send: the others still go, its line says why, exit 1', async () => {
  const arm = cli.transport.arm.bind(cli.transport);
  cli.transport.arm = async (knock, to) => {
    if (to.address === '198.18.0.3') throw new Error('cannot arm knock 2');
    return arm(knock, to);
  };
  const r = await cli.knock('@ab');
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^knocked a: 2 knocks in [\d.]+ ms\nfailed b: cannot arm knock 2\n$/);
  expect(r.stderr).toBe('knock: 1 of 2 members of the group failed to send\n');
  expect(fired()).toEqual(['198.18.0.2:1001', '198.18.0.2:1002']);
});

test('one-time members take their line (marked before anything is armed); --dry-run takes none', async () => {
  const seq = path.join(cli.dir, 'seq');
  const dry = await cli.knock('-n', '@withot');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('open ot: 198.18.0.4 (IPv4), 2 knocks over 10 ms');
  expect(dry.stdout).toContain('5001');
  expect(readFileSync(seq, 'utf8')).toBe(' 5001,5002\n 5003,5004\n');
  const armBefore = cli.transport.arm.bind(cli.transport);
  const seenAtArm: string[] = [];
  cli.transport.arm = async (knock, to) => {
    seenAtArm.push(readFileSync(seq, 'utf8'));
    return armBefore(knock, to);
  };
  const r = await cli.knock('@withot');
  expect(r.code).toBe(0);
  expect(seenAtArm.every((text) => text === '#5001,5002\n 5003,5004\n')).toBe(true);
  expect(fired().sort()).toEqual(['198.18.0.2:1001', '198.18.0.2:1002', '198.18.0.4:5001', '198.18.0.4:5002']);
  expect(r.stderr).toBe(`knock: warning: ot: 1 one-time sequence left in ${seq}\n`);
});

test('unknown group, knocks after a group, --wait with a group: exit 2, nothing armed', async () => {
  expect(await cli.knock('@nope')).toEqual({ code: 2, stdout: '', stderr: `knock: unknown group '@nope' in ${path.join(cli.dir, 'config.yaml')} (groups: @ab, @abc, @bad, @withot, @broken, @same)\n` });
  expect((await cli.knock('@ab', '7000')).stderr).toBe('knock: @ab is a group: it takes no knocks\n');
  expect((await cli.knock('open', '@ab', '--wait')).stderr).toBe('knock: --wait takes one profile, not the group @ab\n');
  expect(cli.transport.armed).toEqual([]);
});

test('two members at one address would interleave there: exit 2, nothing armed', async () => {
  expect(await cli.knock('@same')).toEqual({
    code: 2,
    stdout: '',
    stderr: 'knock: group @same: a and e both knock 198.18.0.2; their sequences would interleave (knock them one after the other)\n',
  });
  expect(cli.transport.armed).toEqual([]);
});

test('a dry run previews a member whose name does not resolve, saying so; exit 0', async () => {
  const r = await cli.knock('@bad', '-n');
  expect(r.code).toBe(0);
  expect(r.stderr).toBe("knock: warning: cannot resolve 'nowhere.invalid': no address found; the plan shows the name (a real run resolves it first, and fails if it still cannot)\n");
  expect(r.stdout).toMatch(/^open d: nowhere\.invalid \(not resolved\), 2 knocks over 100 ms$/m);
  expect(r.stdout).toMatch(/^open a: 198\.18\.0\.2 \(IPv4\)/m);
  expect(cli.transport.armed).toEqual([]);
});

test('SIGINT half-way: no further knock leaves; per member, how many were sent, in text and --json; exit 130', async () => {
  // Only this run's handler hears the signal (the test runner's own, if any, is put back after).
  const others = process.listeners('SIGINT');
  others.forEach((l) => process.removeListener('SIGINT', l));
  try {
    for (const json of [false, true]) {
      cli.transport.fired.length = 0;
      cli.transport.armed.length = 0;
      // b's first knock (armed third, after a's two) does not finish leaving until the signal.
      const gate = cli.transport.sentGate(2);
      const run = cli.knock(...(json ? ['--json'] : []), '@ab');
      expect(await until(() => fired().includes('198.18.0.2:1002') && fired().includes('198.18.0.3:2001'), 10000, 5)).toBe(true);
      expect(process.listenerCount('SIGINT')).toBe(1);
      process.emit('SIGINT');
      gate.resolve();
      const r = await run;
      expect(r.code).toBe(130);
      expect(r.stderr).toBe(
        'knock: interrupted: all 2 knocks (open a) sent to 198.18.0.2 before it\n' +
          'knock: interrupted: 1 of 3 knocks (open b) sent to 198.18.0.3, 2 not sent (the server saw part of the sequence only)\n',
      );
      expect(fired()).toEqual(['198.18.0.2:1001', '198.18.0.3:2001', '198.18.0.2:1002']);
      if (json) {
        expect((JSON.parse(r.stdout) as Record<string, unknown>[]).map((m) => [m.profile, m.interrupted, m.sent, m.notSent])).toEqual([
          ['a', true, 2, 0],
          ['b', true, 1, 2],
        ]);
      } else {
        expect(r.stdout).toBe('');
      }
      expect(process.listenerCount('SIGINT')).toBe(0);
    }
  } finally {
    others.forEach((l) => process.on('SIGINT', l));
  }
});

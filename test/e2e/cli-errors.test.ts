// Bad input, end to end: exit 2 (1 for runtime failures), one stderr line `knock: ...` naming
// the culprit, no stack trace, and not one packet, even for the good knocks before the bad one.
import { spawn } from 'node:child_process';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';

let home: TempHome;
let peers: LoopbackPeers;
let good: string[];
let goodV6: string[];
beforeAll(async () => {
  peers = new LoopbackPeers();
  good = [`${await peers.udp()}:udp`, `${await peers.udp()}:udp`];
  goodV6 = [`${await peers.udp('::1')}:udp`];
});
afterAll(() => peers.close());
beforeEach(() => {
  home = new TempHome();
  peers.clear();
});
afterEach(() => home.cleanup());

/** A store whose profile `p` knocks the loopback peers, then `extra` (YAML flow items). */
const storeWith = (extra: string, more = '') =>
  `profiles:\n  p:\n    host: 127.0.0.1\n    open: [${[...good.map((g) => `"${g}"`), extra].filter(Boolean).join(', ')}]\n${more}`;

interface Case {
  name: string;
  args: () => string[];
  code: 1 | 2;
  message: RegExp;
  config?: () => string;
  env?: () => NodeJS.ProcessEnv;
}

const cases: Case[] = [
  { name: 'unknown profile', args: () => ['nosuch'], config: () => storeWith(''), code: 2, message: /^unknown profile 'nosuch' in \S+config\.yaml/ },
  { name: 'port 0', args: () => ['127.0.0.1', ...good, '0'], code: 2, message: /^port 0 is out of range \(1-65535\)$/ },
  { name: 'port 65536', args: () => ['127.0.0.1', ...good, '65536'], code: 2, message: /^port 65536 is out of range/ },
  { name: 'unknown protocol', args: () => ['127.0.0.1', ...good, '9000:sctp'], code: 2, message: /^unknown protocol 'sctp' in '9000:sctp'/ },
  { name: 'not a knock', args: () => ['127.0.0.1', ...good, 'nine'], code: 2, message: /^'nine' is not a knock/ },
  { name: 'negative delay (-d)', args: () => ['-d', '-5', '127.0.0.1', ...good], code: 2, message: /^-d\/--delay '-5' is not a number of milliseconds/ },
  { name: 'ICMP size out of range', args: () => ['127.0.0.1', ...good, 'icmp:70000'], code: 2, message: /^ICMP size 70000 in 'icmp:70000' is out of range \(0-1452: / },
  {
    name: 'config that does not parse (file and line)',
    args: () => ['p'],
    config: () => storeWith('', '  broken: [1\n  other: x\n'),
    code: 2,
    message: /^\S+\/knock\/config\.yaml:\d+:\d+: does not parse: /,
  },
  { name: 'config with a bad port', args: () => ['p'], config: () => storeWith('70000'), code: 2, message: /config\.yaml: profile 'p': open\[2\]: port 70000 is out of range/ },
  { name: 'config with a bad protocol', args: () => ['p'], config: () => storeWith('"9000:sctp"'), code: 2, message: /config\.yaml: profile 'p': open\[2\]: unknown protocol 'sctp'/ },
  {
    name: 'config with a negative delay in the object form',
    args: () => ['p'],
    config: () => storeWith('{port: 9000, delay: -1}'),
    code: 2,
    message: /profile 'p': open\[2\]: delay -1 must be a number of milliseconds from 0 to 3600000 \(1 h\)$/,
  },
  { name: 'config with an empty sequence', args: () => ['q'], config: () => storeWith('', '  q:\n    open: []\n'), code: 2, message: /profile 'q': open: empty sequence$/ },
  { name: 'missing --config file', args: () => ['--config', `${home.dir}/nope.yaml`, 'p'], code: 2, message: /^config file not found: \S+\/nope\.yaml \(from --config\)$/ },
  {
    name: 'missing KNOCK_CONFIG file',
    args: () => ['p'],
    env: () => ({ ...home.env, KNOCK_CONFIG: `${home.dir}/nope.yaml` }),
    code: 2,
    message: /^config file not found: \S+\/nope\.yaml \(from KNOCK_CONFIG\)$/,
  },
  { name: 'close with no close sequence', args: () => ['close', 'p'], config: () => storeWith(''), code: 2, message: /^profile 'p' has no close sequence in \S+config\.yaml$/ },
  { name: 'unknown option', args: () => ['--bogus', '127.0.0.1', ...good], code: 2, message: /^unknown option --bogus/ },
  { name: 'missing arguments', args: () => [], code: 2, message: /^missing target/ },
  { name: 'missing arguments to open', args: () => ['open'], code: 2, message: /^missing target: knock open PROFILE$/ },
  { name: 'unresolvable host', args: () => ['name.invalid', ...good], code: 1, message: /^cannot resolve 'name\.invalid': / },
  {
    // (No ICMP socket and no ping is a unit test: as root a raw socket is always there.)
    name: 'a --source that is not on this machine (runtime, before any packet)',
    args: () => ['--source', '203.0.113.77', '127.0.0.1', ...good],
    code: 1,
    message: /^source 203\.0\.113\.77 is not an address of this machine /,
  },
  { name: '-4 with an IPv6 address', args: () => ['-4', '::1', ...goodV6], code: 2, message: /^'::1' is an IPv6 address but -4 was given$/ },
  { name: '-6 with an IPv4 address', args: () => ['-6', '127.0.0.1', ...good], code: 2, message: /^'127\.0\.0\.1' is an IPv4 address but -6 was given$/ },
  { name: '-6 with a name that has IPv4 only', args: () => ['-6', 'localhost', ...good], code: 1, message: /^cannot resolve 'localhost': it has no IPv6 address \(only IPv4 127\.0\.0\.1\), but -6 was given$/ },
  // Strict parsing: a switch takes no value, and nothing after `--` escapes the checks.
  { name: '--dry-run=yes (a switch with a value)', args: () => ['--dry-run=yes', '127.0.0.1', ...good], code: 2, message: /^option --dry-run takes no value \(got 'yes'\)$/ },
  { name: '--dry-run=no after the target', args: () => ['127.0.0.1', ...good, '--dry-run=no'], code: 2, message: /^option --dry-run takes no value/ },
  { name: 'a bad knock after --', args: () => ['127.0.0.1', ...good, '--', 'abc'], code: 2, message: /^'abc' is not a knock/ },
  { name: 'a bare integer as the host (--config took the host)', args: () => ['--config', '127.0.0.1', good[0]!.split(':')[0]!, good[1]!], code: 2, message: /is a port, not a host/ },
  { name: 'ad hoc, --config names no file', args: () => ['--config', `${home.dir}/nope.yaml`, '127.0.0.1', ...good], code: 2, message: /^config file not found: \S+\/nope\.yaml \(from --config\)$/ },
  { name: 'ad hoc, --config names a directory', args: () => ['--config', home.dir, '127.0.0.1', ...good], code: 2, message: /: not a regular file \(from --config\)$/ },
  { name: 'ad hoc, --config names a device', args: () => ['--config', '/dev/null', '127.0.0.1', ...good], code: 2, message: /^\/dev\/null: not a regular file/ },
  { name: '-d abc (names the option)', args: () => ['-d', 'abc', '127.0.0.1', ...good], code: 2, message: /^-d\/--delay 'abc' is not a number of milliseconds/ },
  { name: 'option before the subcommand that does not take it', args: () => ['-n', 'list'], code: 2, message: /^option -n does not apply to knock list/ },
  // A switch never takes the next word: `-n false` is a dry run and the word `false`.
  { name: 'open -n false PROFILE (the stray word refused)', args: () => ['open', '-n', 'false', 'p'], config: () => storeWith(''), code: 2, message: /^unexpected argument 'p'/ },
  { name: '--dry-run false HOST KNOCK', args: () => ['--dry-run', 'false', '127.0.0.1', ...good], code: 2, message: /^'127\.0\.0\.1' is not a knock/ },
  { name: '-qn true HOST KNOCK', args: () => ['-qn', 'true', '127.0.0.1', ...good], code: 2, message: /^'127\.0\.0\.1' is not a knock/ },
  { name: '--config twice', args: () => ['--config', `${home.dir}/a.yaml`, '--config', `${home.dir}/b.yaml`, 'list'], code: 2, message: /^option --config given more than once$/ },
];

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  if (c.config) home.writeConfig(c.config());
  const result = await runKnock(c.args(), { env: c.env ? c.env() : home.env });
  expect(result.code).toBe(c.code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^knock: [^\n]+\n$/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.slice('knock: '.length, -1)).toMatch(c.message);
  expect(await peers.settle(100)).toEqual([]);
});

test('the same good knocks do arrive when nothing is wrong (the check above can fail)', async () => {
  home.writeConfig(storeWith(''));
  const result = await runKnock(['p'], { env: home.env });
  expect(result.code).toBe(0);
  expect(await peers.settle(100)).toHaveLength(2);
});

test('a usage error with stderr on /dev/full still exits 2, sending nothing', async () => {
  const full = await import('node:fs').then((fs) => fs.openSync('/dev/full', 'w'));
  const child = spawn(process.execPath, [KNOCK_BIN, '--dry-run=yes', '127.0.0.1', ...good], { env: home.env, stdio: ['ignore', 'ignore', full] });
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code).toBe(2);
  expect(await peers.settle(100)).toEqual([]);
});

test('a profile named true is dry-run by open -n true', async () => {
  home.writeConfig(storeWith('').replace('  p:', '  "true":'));
  const result = await runKnock(['open', '-n', 'true'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^open true: 127\.0\.0\.1 .*dry run: nothing was sent\n$/s);
  expect(await peers.settle(100)).toEqual([]);
});

test('a reader that goes away (knock ... | head -1) is not a crash', async () => {
  const ports = Array.from({ length: 256 }, (_, i) => String(i + 1));
  const child = spawn(process.execPath, [KNOCK_BIN, '--dry-run', '127.0.0.1', ...ports], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
});

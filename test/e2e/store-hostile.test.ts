// Hostile and absurd inputs from issue 9's list, end to end: each is answered (exit 2, one
// stderr line, no stack) by itself, and not one packet leaves.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runKnock, TempHome, type RunResult } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';

/**
 * A hang or a heap filling up is killed here and fails the test. Generous: it tells a hang from
 * a slow start on a loaded machine (5 s once killed runs that were only waiting for a CPU), and
 * how fast knock answers is no assertion (bench section 30-startup measures start-up).
 */
const ANSWER_WITHIN_MS = 30_000;

let home: TempHome;
let peers: LoopbackPeers;
let knocks: string[];
beforeAll(async () => {
  peers = new LoopbackPeers();
  knocks = [`${await peers.udp()}:udp`, `${await peers.udp()}:udp`];
});
afterAll(() => peers.close());
beforeEach(() => {
  home = new TempHome();
  peers.clear();
});
afterEach(() => home.cleanup());

const profile = (name: string, extra = '') => `  ${name}:\n    host: 127.0.0.1\n    open: [${knocks.map((k) => `"${k}"`).join(', ')}]\n${extra}`;

const run = (args: string[]) => runKnock(args, { env: home.env, timeoutMs: ANSWER_WITHIN_MS });

async function expectRefused(result: RunResult, pattern: RegExp): Promise<void> {
  expect(result.signal).toBeNull(); // not killed: it answered
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^knock: [^\n]+\n$/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).toMatch(pattern);
  expect(await peers.settle(100)).toEqual([]);
}

test.each([
  ['1e303', /^knock: (delay 1e\+303 in )?-d\/--delay .*milliseconds/],
  ['99999999999', /^knock: delay 99999999999 in -d\/--delay must be/],
  ['3600001', /^knock: delay 3600001 in -d\/--delay must be/],
])('-d %s: refused before the first knock', async (delay, pattern) => {
  await expectRefused(await run(['-d', delay, '127.0.0.1', ...knocks]), pattern);
  home.writeConfig(`profiles:\n${profile('p')}`);
  await expectRefused(await run(['-d', delay, 'p']), pattern);
});

test('a sequence of 257 knocks, or one longer than an hour, is refused', async () => {
  await expectRefused(await run(['127.0.0.1', ...knocks, ...Array(255).fill(knocks[0]!)]), /^knock: 257 knocks: a sequence has at most 256/);
  await expectRefused(await run(['-d', '3600000', '127.0.0.1', ...knocks, knocks[0]!]), /takes 7200000 ms: at most 3600000 ms/);
});

test('a FIFO as --config: refused at once (nobody ever writes to it)', async () => {
  const fifo = path.join(home.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  await expectRefused(await run(['--config', fifo, 'p']), /fifo is a FIFO: a profile store is a regular file\n$/);
  await expectRefused(await run(['--config', fifo, 'add', 'x', '127.0.0.1', '1']), /is a FIFO/);
});

test.each(['/dev/urandom', '/dev/zero', '/dev/null'])('%s as --config: refused at once', async (device) => {
  await expectRefused(await run(['--config', device, 'p']), new RegExp(`^knock: ${device} is a device: a profile store is a regular file\\n$`));
  await expectRefused(await run(['--config', device, 'add', 'x', '127.0.0.1', '1']), /is a device/);
});

test('a 50 MB store: refused by its size before it is read', async () => {
  const big = home.writeConfig(`profiles:\n${profile('p')}`);
  truncateSync(big, 50 * 1024 * 1024);
  await expectRefused(await run(['p']), /config\.yaml is 52428800 bytes: a profile store is at most 1048576 bytes \(1 MiB\)\n$/);
  await expectRefused(await run(['add', 'x', '127.0.0.1', '1']), /is 52428800 bytes/);
});

test('a store that is just `profiles:`: add works', async () => {
  const file = home.writeConfig('profiles:\n');
  const result = await run(['add', 'p', '127.0.0.1', ...knocks]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(`profiles:\n  p:\n    host: 127.0.0.1\n    open: [${knocks.join(', ')}]\n`);
  expect((await run(['p'])).code).toBe(0);
  expect(await peers.settle(100)).toHaveLength(2);
});

test('--config FILE holding only comments: add writes to that FILE, not the XDG store', async () => {
  const file = home.writeFile('mine.yaml', '# my knocks\n');
  const result = await run(['--config', file, 'add', 'p', '127.0.0.1', '1111']);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`added profile p in ${file}\n`);
  expect(readFileSync(file, 'utf8')).toBe('# my knocks\nprofiles:\n  p:\n    host: 127.0.0.1\n    open: [1111]\n');
  expect(existsSync(path.join(home.configDir, 'config.yaml'))).toBe(false);
});

test('removing a profile whose anchor another profile uses: the other keeps its values and knocks', async () => {
  const file = home.writeConfig(`profiles:\n  a:\n    host: &gate 127.0.0.1\n    open: &seq [${knocks.map((k) => `"${k}"`).join(', ')}]\n  b:\n    host: *gate\n    open: *seq\n`);
  const result = await run(['remove', 'a']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(readFileSync(file, 'utf8')).not.toContain('*');
  expect((await run(['b'])).code).toBe(0);
  expect(await peers.settle(100)).toHaveLength(2);
});

test('--config naming a file that is not a store: not a line of it is printed', async () => {
  const secret = 'root:$y$j9T$QWERTYsecrethash:19700:0:99999:7:::';
  const file = home.writeFile('shadow', `${secret}\ndaemon:*:19700:0:99999:7:::\n`);
  const result = await run(['--config', file, 'p']);
  await expectRefused(result, /shadow is not a knock profile store/);
  expect(result.stderr).not.toMatch(/QWERTY|daemon|19700|root:/);
  // The real thing, where it exists and we may read it (as root).
  if (existsSync('/etc/shadow') && process.getuid?.() === 0) {
    const real = await run(['--config', '/etc/shadow', 'p']);
    expect(real.code).toBe(2);
    const lines = readFileSync('/etc/shadow', 'utf8').split('\n').filter(Boolean);
    for (const line of lines) expect(real.stderr).not.toContain(line.split(':').slice(0, 2).join(':'));
  }
});

test('a YAML error is one line without the code frame, also with -q', async () => {
  home.writeConfig(`profiles:\n${profile('p')}  q:\n    open: [7001, 7002\n`);
  const result = await run(['-q', 'p']);
  await expectRefused(result, /^knock: \S+config\.yaml:\d+:\d+: does not parse: [^:]+$/m);
  expect(result.stderr).not.toContain('7001');
});

test('YAML warnings (an unknown tag, a newer YAML version) print nothing, with or without -q', async () => {
  home.writeConfig(`%YAML 1.9\n---\nprofiles:\n${profile('p').replace('open: [', 'open: !secret [')}`);
  for (const args of [['p'], ['-q', 'p']]) {
    const result = await run(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
  expect(await peers.settle(100)).toHaveLength(4);
});

test('terminal escapes in a store are shown escaped', async () => {
  home.writeConfig(`profiles:\n${profile('p')}  "evil\\e]0;pwned\\a":\n    open: [1]\n    "\\e[2Jkey": 1\n`);
  const result = await run(['p']);
  expect(result.code).toBe(0);
  expect(result.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  expect(result.stderr).toContain("profile 'evil\\x1b]0;pwned\\x07'");
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(await peers.settle(100)).toHaveLength(2);
  home.writeConfig(`profiles:\n${profile('p')}  "evil\\e]0;pwned\\a":\n    host: "gate\\e[2J"\n    open: [1]\n`);
  for (const args of [['list'], ['-v', 'list'], ['show', 'evil\x1b]0;pwned\x07']]) {
    const shown = await run(args);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(shown.stdout).toContain('evil\\x1b]0;pwned\\x07');
  }
});

describe('one broken profile does not block the others', () => {
  const broken = '  broken:\n    host: 127.0.0.1\n    open: [0, "9:sctp"]\n    delay: 1e303\n    seq_timeout: .inf\n';

  test('knocking another profile works, with one warning naming the broken one and all its errors', async () => {
    home.writeConfig(`profiles:\n${profile('p')}${broken}`);
    const result = await run(['p']);
    expect(result.code).toBe(0);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^knock: warning: \S+config\.yaml: profile 'broken': open\[0\]: port 0 .*; delay 1e\+303 .*; seq_timeout .* \(skipped; fix it, or knock remove broken\)$/);
    expect(await peers.settle(100)).toHaveLength(2);
    expect((await run(['list'])).stdout).toMatch(/^p /);
  });

  test('knocking the broken one: exit 2 naming all its errors, no packet', async () => {
    home.writeConfig(`profiles:\n${profile('p')}${broken}`);
    await expectRefused(await run(['broken']), /profile 'broken': open\[0\]: port 0 .*; open\[1\]: unknown protocol 'sctp'.*; delay 1e\+303.*; seq_timeout/);
    await expectRefused(await run(['show', 'broken']), /profile 'broken': open\[0\]/);
  });

  test('lint reports each error and exits 2; remove fixes it', async () => {
    const file = home.writeConfig(`profiles:\n${profile('p')}${broken}`);
    const lint = await run(['lint', 'broken']);
    expect(lint.code).toBe(2);
    // The four errors, each on its line, then the count: lint's results, on stdout.
    expect(lint.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(lint.stdout).toMatch(/^broken: error: open\[0\]: port 0 .*\[invalid\]$/m);
    expect(lint.stdout.endsWith('1 profile checked, 0 warnings, 4 errors\n')).toBe(true);
    expect(lint.stderr).toBe('');
    const all = await run(['lint']);
    expect(all.code).toBe(2);
    expect(all.stdout).toMatch(/\n2 profiles checked, \d+ warnings?, 4 errors\n$/);
    const removed = await run(['remove', 'broken']);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`profiles:\n${profile('p')}`);
    expect((await run(['p'])).stderr).toBe('');
  });

  test('add works beside a broken profile and leaves it as it was', async () => {
    const file = home.writeConfig(`profiles:\n${broken}`);
    const result = await run(['add', 'new', '127.0.0.1', '1']);
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`profiles:\n${broken}  new:\n    host: 127.0.0.1\n    open: [1]\n`);
  });
});

test('bytes that are not UTF-8 and untouched lines survive an edit byte for byte', async () => {
  const before = Buffer.concat([
    Buffer.from('# caf'),
    Buffer.from([0xe9, 0xff]),
    Buffer.from(' (latin-1 bytes)\r\nprofiles:\r\n  p:\r\n    host:   127.0.0.1    # spaced\r\n    open: [ 1,2 ]\r\n  q:\r\n    open: [3]\r\n'),
  ]);
  const file = home.writeConfig('');
  writeFileSync(file, before);
  expect((await run(['add', 'r', '127.0.0.1', '4'])).code).toBe(0);
  const added = readFileSync(file);
  expect(added.subarray(0, before.length).equals(before)).toBe(true);
  expect(added.subarray(before.length).toString('latin1')).toBe('  r:\r\n    host: 127.0.0.1\r\n    open: [4]\r\n');
  expect((await run(['remove', 'q'])).code).toBe(0);
  expect(readFileSync(file).toString('latin1')).toBe(`${before.toString('latin1').replace('  q:\r\n    open: [3]\r\n', '')}  r:\r\n    host: 127.0.0.1\r\n    open: [4]\r\n`);
});

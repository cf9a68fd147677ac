// Profiles end to end: where the store is found, ssh HostName for a profile without host,
// list, and subcommand names against profile names, with real loopback peers.
import path from 'node:path';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { labels, LoopbackPeers } from '../helpers/loopback.js';

let home: TempHome;
let peers: LoopbackPeers;
let a: number;
let b: number;
beforeAll(async () => {
  peers = new LoopbackPeers();
  a = await peers.udp();
  b = await peers.udp();
});
afterAll(() => peers.close());
beforeEach(() => {
  home = new TempHome();
  peers.clear();
});
afterEach(() => home.cleanup());

const profile = (name: string, host: string | undefined, open: string[], more = '') =>
  `  ${name}:\n${host ? `    host: ${host}\n` : ''}    open: [${open.map((k) => `"${k}"`).join(', ')}]\n    delay: 5\n${more}`;

test('a profile from $XDG_CONFIG_HOME/knock/config.yaml', async () => {
  home.writeConfig(`profiles:\n${profile('box', '127.0.0.1', [`${a}:udp`, `${b}:udp`])}`);
  const result = await runKnock(['box'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^knocked box: 2 knocks in \d+\.\d ms\n$/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${b} 00`]);
});

test('a profile from --config (JSON), which wins over the XDG store', async () => {
  home.writeConfig(`profiles:\n${profile('box', '127.0.0.1', [`${a}:udp`])}`);
  const file = home.writeFile('stores/other.json', JSON.stringify({ profiles: { box: { host: '127.0.0.1', open: [`${b}:udp`] } } }));
  const result = await runKnock(['--config', file, 'box'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`]);
});

test('a profile from KNOCK_CONFIG, which wins over the XDG store', async () => {
  home.writeConfig(`profiles:\n${profile('box', '127.0.0.1', [`${a}:udp`])}`);
  const file = home.writeFile('stores/env.yaml', `profiles:\n${profile('box', '127.0.0.1', [`${b}:udp`, `${b}:udp`])}`);
  const result = await runKnock(['box'], { env: { ...home.env, KNOCK_CONFIG: file } });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`, `udp 127.0.0.1:${b} 00`]);
});

test('a profile without host knocks the HostName of its name in ~/.ssh/config', async () => {
  home.writeFile('.ssh/config', 'Host box\n  HostName 127.0.0.1\n  Port 2222\n\nHost *\n  User nobody\n');
  home.writeConfig(`profiles:\n${profile('box', undefined, [`${a}:udp`])}`);
  const dry = await runKnock(['--dry-run', 'box'], { env: home.env });
  expect(dry.stdout.split('\n')[0]).toBe('open box: 127.0.0.1 (IPv4), 1 knock over 0 ms');
  const result = await runKnock(['box'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^knocked box: 1 knock in/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`]);
});

test("a target finds its profile by the profile's host and through another ssh alias", async () => {
  home.writeFile('.ssh/config', 'Host box\n  HostName 127.0.0.1\nHost box-too\n  HostName 127.0.0.1\n');
  home.writeConfig(`profiles:\n${profile('box', undefined, [`${a}:udp`])}${profile('six', '::1', [`${b}:udp`])}`);
  const byAddress = await runKnock(['-n', '127.0.0.1'], { env: home.env });
  expect(byAddress.stdout.split('\n')[0]).toBe('open box: 127.0.0.1 (IPv4), 1 knock over 0 ms');
  const byAlias = await runKnock(['-n', 'box-too'], { env: home.env });
  expect(byAlias.stdout.split('\n')[0]).toBe('open box: 127.0.0.1 (IPv4), 1 knock over 0 ms');
  const byHost = await runKnock(['-n', '::1'], { env: home.env });
  expect(byHost.stdout.split('\n')[0]).toBe('open six: ::1 (IPv6), 1 knock over 0 ms');
  expect(await peers.settle()).toEqual([]);
});

test('close fires the close sequence', async () => {
  home.writeConfig(`profiles:\n${profile('box', '127.0.0.1', [`${a}:udp`], `    close: ["${b}:udp", "${a}:udp"]\n`)}`);
  const result = await runKnock(['close', 'box'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^closed box: 2 knocks in/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`, `udp 127.0.0.1:${a} 00`]);
});

test('--dry-run with a profile: address, offsets (own delays too), nothing sent', async () => {
  home.writeConfig(`profiles:\n  box:\n    host: 127.0.0.1\n    open: ["${a}:udp", {port: ${b}, protocol: udp, delay: 500}, icmp:64]\n    delay: 50\n`);
  const result = await runKnock(['--dry-run', 'box'], { env: home.env });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout.split('\n').slice(0, 4)).toEqual([
    'open box: 127.0.0.1 (IPv4), 3 knocks over 550 ms',
    `   1. +    0 ms  ${`${a}:udp`.padEnd(11)} udp ${a}`,
    `   2. +   50 ms  ${`${b}:udp`.padEnd(11)} udp ${b}`,
    '   3. +  550 ms  icmp:64     icmp echo, 64 bytes',
  ]);
  expect(await peers.settle()).toEqual([]);
});

describe('list', () => {
  const store = () =>
    `profiles:\n${profile('web', '127.0.0.1', [`${a}:udp`, '7000'], '    close: [7000]\n')}${profile('list', '::1', ['icmp:64'])}`;

  test('names, hosts and counts; sequences only with -v', async () => {
    home.writeConfig(store());
    const plain = await runKnock(['list'], { env: home.env });
    expect(plain).toEqual({ code: 0, signal: null, stderr: '', stdout: 'web   127.0.0.1  open 2 knocks, close 1 knock\nlist  ::1        open 1 knock\n' });
    expect(plain.stdout).not.toContain(String(a));
    const verbose = await runKnock(['list', '-v'], { env: home.env });
    expect(verbose.stdout).toBe(`web   127.0.0.1  open: ${a}:udp 7000  close: 7000\nlist  ::1        open: icmp:64\n`);
  });

  test('--json, with sequences only with -v', async () => {
    const file = home.writeConfig(store());
    const json = JSON.parse((await runKnock(['list', '--json'], { env: home.env })).stdout);
    expect(json).toEqual({
      file,
      profiles: [
        { name: 'web', host: '127.0.0.1', delay: 5, seqTimeout: 25, openKnocks: 2, closeKnocks: 1 },
        { name: 'list', host: '::1', delay: 5, seqTimeout: 25, openKnocks: 1, closeKnocks: 0 },
      ],
      groups: [],
    });
    const verbose = JSON.parse((await runKnock(['list', '--json', '-v'], { env: home.env })).stdout);
    expect(verbose.profiles[0]).toMatchObject({ open: [`${a}:udp`, '7000'], close: ['7000'] });
  });

  test('a profile without host shows where it knocks: ssh HostName, else its name through DNS', async () => {
    home.writeFile('.ssh/config', 'Host box\n  HostName 127.0.0.1\n');
    home.writeConfig(`profiles:\n${profile('box', undefined, ['1'])}${profile('dns.example', undefined, ['2'])}`);
    const result = await runKnock(['list'], { env: home.env });
    expect(result.stdout).toBe('box          127.0.0.1 (ssh config)  open 1 knock\ndns.example  dns.example (DNS)       open 1 knock\n');
  });

  test('no store: a note on stderr, exit 0', async () => {
    const result = await runKnock(['list'], { env: home.env });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('knock: no profile store found (knock add NAME HOST KNOCK... creates one)\n');
  });

  test('subcommand names win over profile names; open NAME reaches the profile', async () => {
    home.writeConfig(`profiles:\n${profile('list', '127.0.0.1', [`${a}:udp`])}${profile('close', '127.0.0.1', [`${b}:udp`])}`);
    const listed = await runKnock(['list'], { env: home.env });
    expect(listed.stdout).toContain('list   127.0.0.1  open 1 knock');
    expect(await peers.settle()).toEqual([]);
    const opened = await runKnock(['open', 'list'], { env: home.env });
    expect(opened).toMatchObject({ code: 0, stderr: '' });
    expect(opened.stdout).toMatch(/^knocked list: 1 knock in/);
    const openClose = await runKnock(['open', 'close'], { env: home.env });
    expect(openClose).toMatchObject({ code: 0, stderr: '' });
    expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`, `udp 127.0.0.1:${b} 00`]);
  });
});

test('--config is read relative to the working directory', async () => {
  home.writeFile('proj/knock.yaml', `profiles:\n${profile('box', '127.0.0.1', [`${a}:udp`])}`);
  const result = await runKnock(['--config', 'knock.yaml', 'box'], { env: home.env, cwd: path.join(home.dir, 'proj') });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${a} 00`]);
});

test('remove of a group member names the group and says to take it out first; the store is untouched', async () => {
  const text = `profiles:\n${profile('db', '127.0.0.1', [`${a}:udp`])}${profile('web', '127.0.0.1', [`${b}:udp`])}groups:\n  all: [db, web]\n`;
  const file = home.writeConfig(text);
  const result = await runKnock(['remove', 'db'], { env: home.env });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^knock: db is in group all; take it out first/);
  expect(result.stderr.split('\n')).toHaveLength(2);
  const { readFileSync } = await import('node:fs');
  expect(readFileSync(file, 'utf8')).toBe(text);
});

test('close @GROUP skips the members without a close sequence, saying so; none closable is an error', async () => {
  const text = `profiles:\n${profile('db', '127.0.0.1', [`${a}:udp`])}${profile('web', '127.0.0.1', [`${a}:udp`], `    close: ["${b}:udp"]\n`)}groups:\n  all: [db, web]\n  dbs: [db]\n`;
  home.writeConfig(text);
  const result = await runKnock(['close', '@all'], { env: home.env });
  expect(result.stderr).toBe('group @all: skipping db: no close sequence\n');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^closed web: 1 knock in/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`]);
  const quiet = await runKnock(['close', '@all', '-q', '-n'], { env: home.env });
  expect(quiet).toMatchObject({ code: 0, stderr: '' });
  const none = await runKnock(['close', '@dbs'], { env: home.env });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^knock: group @dbs: no member has a close sequence \(db\) in \S+config\.yaml\n$/);
  expect(labels(await peers.settle())).toEqual([`udp 127.0.0.1:${b} 00`]);
});

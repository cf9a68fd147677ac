// Store trust end to end, as OpenSSH's StrictModes: a store planted by another user, one
// others can write, and one under a directory others can write are refused (exit 2, one
// line), left byte for byte as they were, and not one packet leaves for them.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runKnock, runProcess, publicKnockBin, TempHome, type RunResult } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
/** The victim when the test is root: a plain user, run through setpriv. */
const VICTIM = 4242;

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

const store = (name = 'office') => `profiles:\n  ${name}:\n    host: 127.0.0.1\n    open: [${knocks.map((k) => `"${k}"`).join(', ')}]\n`;

function expectRefused(result: RunResult, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^knock: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
}

test('a store others can write (mode 0666) is refused: nothing knocked, nothing written', async () => {
  const file = home.writeConfig(store());
  chmodSync(file, 0o666);
  const before = readFileSync(file);
  expectRefused(await runKnock(['office'], { env: home.env }), /config\.yaml is writable by group and others \(mode 0666\).*chmod 600 /);
  expectRefused(await runKnock(['add', 'bank', '127.0.0.1', '1', '2'], { env: home.env }), /writable by group and others/);
  expect(readFileSync(file).equals(before)).toBe(true);
  expect(await peers.settle(100)).toEqual([]);
});

test('a store under a directory its group can write is refused', async () => {
  home.writeConfig(store());
  chmodSync(home.configDir, 0o775);
  expectRefused(await runKnock(['office'], { env: home.env }), /knock \(a directory above the store \S+\) is writable by group \(mode 0775\).*chmod go-w/);
  expect(await peers.settle(100)).toEqual([]);
});

test('a group-readable store still works, with a warning', async () => {
  const file = home.writeConfig(store());
  chmodSync(file, 0o640);
  const result = await runKnock(['office'], { env: home.env });
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/^knock: warning: \S+ is readable by group \(mode 0640\); knock sequences are secrets: chmod 600/);
  expect(await peers.settle(100)).toHaveLength(2);
});

test('a .knockrc.yaml up the tree from the working directory is never read', async () => {
  const shared = path.join(home.dir, 'shared');
  mkdirSync(path.join(shared, 'proj'), { recursive: true });
  chmodSync(shared, 0o777);
  const planted = path.join(shared, '.knockrc.yaml');
  writeFileSync(planted, store('office'), { mode: 0o666 });
  const before = readFileSync(planted);
  const cwd = path.join(shared, 'proj');
  const knock = await runKnock(['office'], { env: home.env, cwd });
  expect(knock.code).toBe(2);
  expect(knock.stderr).toMatch(/^knock: unknown profile 'office' \(no profile store found/);
  const add = await runKnock(['add', 'bank', '127.0.0.1', '1111', '2222'], { env: home.env, cwd });
  expect(add.code).toBe(0);
  expect(add.stdout).toBe(`added profile bank in ${path.join(home.configDir, 'config.yaml')}\n`);
  expect(readFileSync(planted).equals(before)).toBe(true);
  expect(await peers.settle(100)).toEqual([]);
});

(isRoot ? describe : describe.skip)('another user plants the store (root runs the victim through setpriv)', () => {
  let shared: string;
  let victimHome: string;
  beforeEach(() => {
    shared = mkdtempSync(path.join(os.tmpdir(), 'knock-shared-'));
    chmodSync(shared, 0o777);
    victimHome = path.join(shared, 'victim');
    mkdirSync(path.join(victimHome, 'proj'), { recursive: true, mode: 0o700 });
    chownSync(victimHome, VICTIM, VICTIM);
    chownSync(path.join(victimHome, 'proj'), VICTIM, VICTIM);
  });
  afterEach(() => rmSync(shared, { recursive: true, force: true }));

  const asVictim = (args: string[], cwd = victimHome) =>
    runProcess('setpriv', [`--reuid=${VICTIM}`, `--regid=${VICTIM}`, '--clear-groups', process.execPath, publicKnockBin(), ...args], {
      env: { PATH: process.env.PATH, HOME: victimHome, NO_COLOR: '1' },
      cwd,
    });

  function plant(name: string, mode: number): { file: string; before: Buffer } {
    const file = path.join(shared, name);
    writeFileSync(file, store('office'), { mode });
    chmodSync(file, mode);
    chownSync(file, NOBODY, NOBODY);
    return { file, before: readFileSync(file) };
  }

  test('--config naming a file owned by nobody: refused, untouched, no packet', async () => {
    const { file, before } = plant('office.yaml', 0o644);
    expectRefused(await asVictim(['--config', file, 'office']), new RegExp(`office\\.yaml is owned by uid ${NOBODY}, not by you \\(uid ${VICTIM}\\) or root`));
    expectRefused(await asVictim(['--config', file, 'add', 'bank', '127.0.0.1', '1', '2']), /is owned by uid 65534/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(await peers.settle(100)).toEqual([]);
  });

  test('the victim\'s own store symlinked to a file nobody owns, or into a directory nobody owns: refused', async () => {
    const { file, before } = plant('target.yaml', 0o644);
    const config = path.join(victimHome, '.config', 'knock');
    mkdirSync(config, { recursive: true });
    chownSync(path.join(victimHome, '.config'), VICTIM, VICTIM);
    chownSync(config, VICTIM, VICTIM);
    symlinkSync(file, path.join(config, 'config.yaml'));
    expectRefused(await asVictim(['office']), /target\.yaml \(the store \S+config\.yaml links to it\) is owned by uid 65534/);
    expectRefused(await asVictim(['add', 'bank', '127.0.0.1', '1', '2']), /target\.yaml \(the store \S+ links to it\) is owned by uid 65534/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(await peers.settle(100)).toEqual([]);
  });

  test('as root too: a planted store owned by nobody is refused', async () => {
    const { file, before } = plant('root.yaml', 0o600);
    expectRefused(await runKnock(['--config', file, 'office'], { env: home.env }), /root\.yaml is owned by uid 65534, not by you \(uid 0\) or root/);
    expectRefused(await runKnock(['--config', file, 'remove', 'office'], { env: home.env }), /is owned by uid 65534/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(await peers.settle(100)).toEqual([]);
  });

  test('the victim\'s own store in their own home works (the refusals above can pass)', async () => {
    const config = path.join(victimHome, '.config', 'knock');
    mkdirSync(config, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(config, 'config.yaml'), store(), { mode: 0o600 });
    for (const dir of [path.join(victimHome, '.config'), config, path.join(config, 'config.yaml')]) chownSync(dir, VICTIM, VICTIM);
    const result = await asVictim(['office']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await peers.settle(100)).toHaveLength(2);
  });
});

test('a symlinked store of ours is followed and edited where it lives', async () => {
  const real = home.writeFile('dotfiles/knock.yaml', store());
  chmodSync(path.dirname(real), 0o700);
  mkdirSync(home.configDir, { recursive: true });
  symlinkSync(real, path.join(home.configDir, 'config.yaml'));
  expect((await runKnock(['add', 'lab', '127.0.0.1', '1', '2'], { env: home.env })).code).toBe(0);
  expect(readFileSync(real, 'utf8')).toBe(`${store()}  lab:\n    host: 127.0.0.1\n    open: [1, 2]\n`);
  expect((await runKnock(['office'], { env: home.env })).code).toBe(0);
  expect(await peers.settle(100)).toHaveLength(2);
});

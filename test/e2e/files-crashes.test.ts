// Files that used to crash knock (exit 70, a stack trace): a YAML alias inside its own anchor, a
// full file system under `knock add` (which also left an edit lock behind), a deleted working
// directory, and a uid with no passwd entry and no HOME. Each is one line and the right exit
// code now, or simply works.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publicKnockBin, runKnock, runProcess, KNOCK_BIN, TempHome } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';

const isRoot = process.getuid?.() === 0;
const rootTest = isRoot ? test : test.skip;
if (!isRoot) console.log('files-crashes: the full-disk and no-passwd cases skipped, they need root (mount, setpriv)');

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

test.each([
  ['a sequence', 'profiles:\n  a:\n    host: 127.0.0.1\n    open: &s [1, *s]\n'],
  ['a profile', 'profiles:\n  a: &p\n    host: 127.0.0.1\n    open: [1]\n    me: *p\n'],
  ['the profiles', 'profiles: &all\n  a:\n    host: 127.0.0.1\n    open: [1]\n  b: *all\n'],
])('an alias inside its own anchor (%s) is one config error, exit 2', async (_what, text) => {
  const file = home.writeConfig(text);
  for (const args of [['list'], ['--json', 'list'], ['a', '-n'], ['add', 'x', '127.0.0.1', '1']]) {
    const result = await runKnock(args, { env: home.env });
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({
      args,
      code: 2,
      stderr: `knock: ${file}: does not parse: an alias used inside its own anchor (a value that contains itself)\n`,
    });
  }
  expect(readFileSync(file, 'utf8')).toBe(text);
});

rootTest('a full file system under knock add: one line, the store and directory as they were, no edit lock left; once there is room, add works', async () => {
  const mount = mkdtempSync(path.join(os.tmpdir(), 'knock-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mount]);
  try {
    const store = path.join(mount, 'config.yaml');
    const text = 'profiles:\n  a:\n    host: 127.0.0.1\n    open: [1]\n';
    writeFileSync(store, text, { mode: 0o600 });
    // Fill every page that is left.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${path.join(mount, 'fill')}`, 'bs=4096'], { stdio: 'ignore' });
    } catch {
      // dd ends with ENOSPC: that is the point
    }
    const result = await runKnock(['--config', store, 'add', 'b', '127.0.0.1', '2'], { env: home.env });
    expect(result.code === 1 || result.code === 2).toBe(true);
    expect(result.stderr).toMatch(/^knock: [^\n]*(ENOSPC|no space left)[^\n]*\n$/i);
    expect(readFileSync(store, 'utf8')).toBe(text);
    expect(readdirSync(mount).sort()).toEqual(['config.yaml', 'fill']);
    rmSync(path.join(mount, 'fill'));
    const again = await runKnock(['--config', store, 'add', 'b', '127.0.0.1', '2'], { env: home.env });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(readFileSync(store, 'utf8')).toContain('  b:\n');
    expect(readdirSync(mount)).toEqual(['config.yaml']);
  } finally {
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  }
}, 60_000);

describe('where the process stands', () => {
  let peers: LoopbackPeers;
  beforeAll(() => {
    peers = new LoopbackPeers();
  });
  afterAll(() => peers.close());
  beforeEach(() => peers.clear());

  test('a deleted working directory: --version and an ad-hoc knock run fine', async () => {
    const gone = mkdtempSync(path.join(os.tmpdir(), 'knock-gone-'));
    const port = await peers.udp();
    const run = (args: string[]) =>
      runProcess('sh', ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', gone, process.execPath, KNOCK_BIN, ...args], { env: home.env });
    const version = await run(['--version']);
    expect({ code: version.code, stderr: version.stderr }).toEqual({ code: 0, stderr: '' });
    mkdirSync(gone);
    const knock = await run(['127.0.0.1', `${port}:udp`]);
    expect({ code: knock.code, stderr: knock.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await peers.settle(100)).toHaveLength(1);
    expect(existsSync(gone)).toBe(false);
  });

  rootTest('a uid with no passwd entry and HOME unset: an ad-hoc knock is sent', async () => {
    const port = await peers.udp();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NO_COLOR: '1' };
    const result = await runProcess('setpriv', ['--reuid=54322', '--regid=54322', '--clear-groups', process.execPath, publicKnockBin(), '127.0.0.1', `${port}:udp`], {
      env,
      cwd: '/',
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await peers.settle(100)).toHaveLength(1);
    rmSync(path.join(os.tmpdir(), 'knock-54322'), { recursive: true, force: true });
  });
});

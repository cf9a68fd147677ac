import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockTimeoutError, lockDirectory, systemSequenceLock } from '../../../src/knock/sequence-lock.js';
import { until } from '../../helpers/until.js';

const to = { address: '198.18.0.2', family: 4 as const };
const uid = process.getuid?.() ?? 0;
let tmp: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'knock-lock-'));
  chmodSync(tmp, 0o700);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const lockIn = (timeoutMs = 5000) => systemSequenceLock({ env: {}, platform: 'linux', tmpdir: tmp, uid, pid: process.pid, timeoutMs });

test('a second holder waits until the first lets go, and is told once that it waits', async () => {
  const release = await lockIn().acquire(to);
  let waits = 0;
  let second = false;
  const next = lockIn()
    .acquire(to, () => waits++)
    .then((r) => {
      second = true;
      return r;
    });
  // The event: the second has found the first alive and said it waits.
  expect(await until(() => waits === 1)).toBe(true);
  expect(second).toBe(false);
  release();
  (await next)();
  expect(second).toBe(true);
  expect(waits).toBe(1);
  // Nothing is left behind once both are done (the socket file goes when its server has closed).
  expect(await until(() => readdirSync(path.join(tmp, `knock-${uid}`)).length === 0)).toBe(true);
});

test('other addresses are not held up', async () => {
  const release = await lockIn().acquire(to);
  const other = await lockIn(100).acquire({ address: '2001:db8::2', family: 6 });
  other();
  release();
});

test('the wait is bounded', async () => {
  const release = await lockIn().acquire(to);
  await expect(lockIn(400).acquire(to)).rejects.toThrow(LockTimeoutError);
  release();
});

test('the bound is on each holder, not on the queue: three waiters behind one holder all get their turn', async () => {
  // Each holds 600 ms, under the 1000 ms bound; the last in the queue waits 1800 ms in all.
  const HOLD_MS = 600;
  const hold = async (release: () => void) => {
    await new Promise((r) => setTimeout(r, HOLD_MS));
    release();
  };
  const first = await lockIn(1000).acquire(to);
  const queue = [0, 1, 2].map(() => lockIn(1000).acquire(to).then(hold));
  await hold(first);
  await expect(Promise.all(queue)).resolves.toEqual([undefined, undefined, undefined]);
});

test('a holder killed with SIGKILL does not block the next one', async () => {
  const dir = lockDirectory({}, uid, tmp);
  const file = path.join(dir, '198.18.0.2.lock');
  // A holder in another process, killed in the middle: its socket file stays behind.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  let waits = 0;
  await expect(lockIn(300).acquire(to, () => waits++)).rejects.toThrow(LockTimeoutError);
  expect(waits).toBe(1);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  expect(existsSync(file)).toBe(true);
  const release = await lockIn(1000).acquire(to);
  release();
});

async function leaveDeadLock(): Promise<string> {
  const dir = lockDirectory({}, uid, tmp);
  const file = path.join(dir, '198.18.0.2.lock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return file;
}

test.each([
  ['', false],
  [', a killed holder\'s socket left behind', true],
])('many at once%s: never two holders, and nothing left behind', async (_what, dead) => {
  if (dead) expect(existsSync(await leaveDeadLock())).toBe(true);
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      const release = await lockIn(10000).acquire(to);
      inside++;
      most = Math.max(most, inside);
      // Held across turns of the event loop, while the others try.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      inside--;
      release();
    }),
  );
  expect(most).toBe(1);
  expect(await until(() => readdirSync(path.join(tmp, `knock-${uid}`)).length === 0)).toBe(true);
});

describe('the lock directory', () => {
  test('is made 0700 under TMPDIR when there is no XDG_RUNTIME_DIR, and under it when there is', () => {
    const dir = lockDirectory({}, uid, tmp);
    expect(dir).toBe(path.join(tmp, `knock-${uid}`));
    const runtime = path.join(tmp, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    expect(lockDirectory({ XDG_RUNTIME_DIR: runtime }, uid, tmp)).toBe(path.join(runtime, 'knock'));
  });

  test('open to others is refused', () => {
    mkdirSync(path.join(tmp, `knock-${uid}`), { mode: 0o700 });
    chmodSync(path.join(tmp, `knock-${uid}`), 0o777);
    expect(() => lockDirectory({}, uid, tmp)).toThrow(/is open to others \(mode 0777\): remove it/);
  });

  test('a symlink is refused', () => {
    mkdirSync(path.join(tmp, 'elsewhere'), { mode: 0o700 });
    symlinkSync(path.join(tmp, 'elsewhere'), path.join(tmp, `knock-${uid}`));
    expect(() => lockDirectory({}, uid, tmp)).toThrow(/is not a directory/);
  });

  test('a TMPDIR that others can write without the sticky bit is refused', () => {
    chmodSync(tmp, 0o777);
    expect(() => lockDirectory({}, uid, tmp)).toThrow(/writable by others without the sticky bit/);
    chmodSync(tmp, 0o1777);
    expect(lockDirectory({}, uid, tmp)).toBe(path.join(tmp, `knock-${uid}`));
  });

  (uid === 0 ? test : test.skip)('one made by another user is refused (root: chown to nobody)', () => {
    const planted = path.join(tmp, `knock-${uid}`);
    mkdirSync(planted, { mode: 0o700 });
    chownSync(planted, 65534, 65534);
    expect(() => lockDirectory({}, uid, tmp)).toThrow(/belongs to uid 65534, not you/);
    const runtime = path.join(tmp, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    chownSync(runtime, 65534, 65534);
    expect(() => lockDirectory({ XDG_RUNTIME_DIR: runtime }, uid, tmp)).toThrow(/belongs to uid 65534.*unset XDG_RUNTIME_DIR/);
  });
});

describe('one address, one lock', () => {
  const spellings: [string, string[]][] = [
    ['2001:db8:88::2', ['2001:DB8:88::2', '2001:0db8:0088:0000:0000:0000:0000:0002', '2001:db8:88:0:0::2']],
    ['198.18.88.2', ['::ffff:198.18.88.2', '::FFFF:c612:5802']],
    ['fe80::1', ['fe80::1%lo', 'FE80:0::1%eth0']],
  ];
  test.each(spellings)('%s is held against %j', async (first, others) => {
    const release = await lockIn().acquire({ address: first, family: first.includes(':') ? 6 : 4 });
    for (const other of others) {
      await expect(lockIn(150).acquire({ address: other, family: 6 })).rejects.toThrow(LockTimeoutError);
    }
    release();
  });
});

test.each([
  ['a directory', (file: string) => mkdirSync(file)],
  ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
  ['a regular file', (file: string) => writeFileSync(file, '')],
])('%s planted at the lock path is refused at once, not waited on', async (_what, plant) => {
  const dir = lockDirectory({}, uid, tmp);
  plant(path.join(dir, '198.18.0.2.lock'));
  // A long timeout: refused on the first try, not after a spin.
  let tries = 0;
  await expect(lockIn(60_000).acquire(to, () => tries++)).rejects.toThrow(/is a (directory|FIFO|regular file), not a lock knock made/);
  expect(tries).toBe(0);
});

test('a socket at the lock path always listens: a holder is never taken for dead while it takes the lock', async () => {
  // Many rounds of take-and-release against waiters that connect at every moment: a waiter
  // that met a bound but not yet listening socket would remove the live holder's lock.
  const dir = lockDirectory({}, uid, tmp);
  let holders = 0;
  let most = 0;
  const runOne = async () => {
    for (let round = 0; round < 15; round++) {
      const release = await lockIn(20_000).acquire(to);
      most = Math.max(most, ++holders);
      await new Promise((r) => setImmediate(r));
      holders--;
      release();
    }
  };
  await Promise.all(Array.from({ length: 8 }, runOne));
  expect(most).toBe(1);
  expect(await until(() => readdirSync(dir).length === 0)).toBe(true);
});

import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockPathOf, withStoreEditLock } from '../../../src/store/edit-lock.js';
import { FakeClock, thisProcess } from '../../helpers/fakes.js';

let dir: string;
let store: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-lock-'));
  store = path.join(dir, 'config.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The wait on the FakeClock: its pauses pass at once, whatever the machine's load.
const clock = new FakeClock();
const noSleep = { now: () => clock.nowMs(), sleep: (ms: number) => clock.sleep(ms), ...thisProcess };

test('the lock exists (with our pid) while the edit runs, and goes after, also when it throws', async () => {
  await withStoreEditLock(store, async () => {
    expect(readFileSync(lockPathOf(store), 'utf8')).toBe(`${process.pid}\n${os.hostname()}\n`);
  }, thisProcess);
  expect(existsSync(lockPathOf(store))).toBe(false);
  await expect(withStoreEditLock(store, async () => Promise.reject(new Error('boom')), thisProcess)).rejects.toThrow('boom');
  expect(existsSync(lockPathOf(store))).toBe(false);
});

test('edits run one at a time', async () => {
  let inside = 0;
  let most = 0;
  const edit = async () => {
    inside++;
    most = Math.max(most, inside);
    // Held across turns of the event loop, while the others try.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    inside--;
  };
  await Promise.all(Array.from({ length: 8 }, () => withStoreEditLock(store, edit, thisProcess)));
  expect(most).toBe(1);
});

test('a live holder makes the edit wait, then fail naming the holder and the lock', async () => {
  writeFileSync(lockPathOf(store), `${process.pid}\n${os.hostname()}\n`);
  await expect(withStoreEditLock(store, async () => 1, { ...noSleep, waitMs: 30 })).rejects.toThrow(
    `${store} is being edited by process ${process.pid} (lock ${lockPathOf(store)}); try again, or remove the lock if no knock is running`,
  );
  expect(existsSync(lockPathOf(store))).toBe(true); // not ours to remove
});

test('stale: a dead pid on this host, or a lock older than staleMs, is taken over', async () => {
  writeFileSync(lockPathOf(store), `999999\n${os.hostname()}\n`);
  await expect(withStoreEditLock(store, async () => 'ran', { ...thisProcess, alive: () => false })).resolves.toBe('ran');
  writeFileSync(lockPathOf(store), `${process.pid}\n${os.hostname()}\n`);
  const old = new Date(Date.now() - 60_000);
  utimesSync(lockPathOf(store), old, old);
  await expect(withStoreEditLock(store, async () => 'ran', { ...thisProcess, staleMs: 30_000 })).resolves.toBe('ran');
  expect(existsSync(lockPathOf(store))).toBe(false);
});

test('a pid from another host, or an empty lock being written, is not judged by pid', async () => {
  writeFileSync(lockPathOf(store), `999999\nsome-other-host\n`);
  await expect(withStoreEditLock(store, async () => 1, { ...noSleep, alive: () => false, waitMs: 20 })).rejects.toThrow(/being edited by process 999999/);
  writeFileSync(lockPathOf(store), '');
  await expect(withStoreEditLock(store, async () => 1, { ...noSleep, alive: () => false, waitMs: 20 })).rejects.toThrow(/being edited by another knock/);
});

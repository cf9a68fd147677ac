import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDirectories, checkFile, STORE_RULES, type Trust } from '../../../src/files/guard.js';

const checkStoreStat = (file: string, st: { uid: number; mode: number }, trust: Trust) => checkFile(file, st, trust, STORE_RULES);
const checkStoreDirs = (file: string, trust: Trust) => checkDirectories(file, trust, STORE_RULES);
import { ConfigError } from '../../../src/shared/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-trust-'));
  chmodSync(dir, 0o700);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const me = process.getuid!();
const stat = (over: Partial<{ uid: number; mode: number }>) => ({ uid: me, mode: 0o100600, ...over });

test('a file of ours or root, not writable by others: trusted', () => {
  expect(() => checkStoreStat('/s', stat({}), { uid: me, home: dir })).not.toThrow();
  expect(() => checkStoreStat('/s', stat({ uid: 0, mode: 0o100644 }), { uid: 1000, home: dir })).not.toThrow();
});

test.each([
  [{ uid: 4242 }, /^\/s is owned by uid 4242, not by you \(uid 1000\) or root/],
  [{ mode: 0o100620 }, /^\/s is writable by group \(mode 0620\).*chmod 600 \/s$/],
  [{ mode: 0o100602 }, /^\/s is writable by others \(mode 0602\)/],
  [{ mode: 0o100666 }, /^\/s is writable by group and others \(mode 0666\)/],
])('%j: refused with the fix', (over, message) => {
  expect(() => checkStoreStat('/s', stat(over), { uid: 1000, home: dir })).toThrow(ConfigError);
  expect(() => checkStoreStat('/s', stat(over), { uid: 1000, home: dir })).toThrow(message);
});

test('the file name is escaped in the message', () => {
  expect(() => checkStoreStat('/s\x1b]0;x\x07', stat({ uid: 4242 }), { uid: 1000, home: dir })).toThrow('/s\\x1b]0;x\\x07 is owned');
});

test('no POSIX owners (Windows): nothing is checked', async () => {
  expect(() => checkStoreStat('/s', stat({ uid: 4242, mode: 0o100666 }), { uid: undefined, home: dir })).not.toThrow();
  await expect(checkStoreDirs('/nonexistent/x', { uid: undefined, home: dir })).resolves.toBeUndefined();
});

test('directories: group- or world-writable refused, sticky world-writable (like /tmp) accepted, the climb stops at home', async () => {
  const home = path.join(dir, 'home');
  const store = path.join(home, 'a', 'b', 'config.yaml');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(store, 'profiles:\n', { mode: 0o600 });
  const trust = { uid: me, home };
  await expect(checkStoreDirs(store, trust)).resolves.toBeUndefined();
  chmodSync(path.join(home, 'a'), 0o777);
  await expect(checkStoreDirs(store, trust)).rejects.toThrow(/home\/a \(a directory above the store \S+\) is writable by group and others \(mode 0777\).*chmod go-w/);
  chmodSync(path.join(home, 'a'), 0o1777);
  await expect(checkStoreDirs(store, trust)).resolves.toBeUndefined();
  chmodSync(path.join(home, 'a'), 0o700);
  // Above home is not checked: a group-writable directory there is the admin's business.
  chmodSync(dir, 0o770);
  await expect(checkStoreDirs(store, trust)).resolves.toBeUndefined();
  // Outside home the climb goes to /.
  await expect(checkStoreDirs(store, { uid: me, home: '/nonexistent-home' })).rejects.toThrow(/knock-trust-\w+ \(a directory above the store/);
});

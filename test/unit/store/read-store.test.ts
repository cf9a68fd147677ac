import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_STORE_BYTES, readStoreBytes } from '../../../src/store/read-store.js';
import { ConfigError } from '../../../src/shared/errors.js';

let home: string;
const uid = process.getuid!();
const trust = () => ({ uid, home });

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'knock-read-store-'));
  chmodSync(home, 0o700);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

test('a private regular file: its bytes, its mode, its real path', async () => {
  const file = path.join(home, 'config.yaml');
  writeFileSync(file, 'profiles: {}\n', { mode: 0o600 });
  expect(await readStoreBytes(file, trust())).toEqual({ real: file, bytes: Buffer.from('profiles: {}\n'), mode: 0o600 });
});

test('no such file (or a path through a file) is undefined, not an error', async () => {
  expect(await readStoreBytes(path.join(home, 'none.yaml'), trust())).toBeUndefined();
  const file = path.join(home, 'f');
  writeFileSync(file, '', { mode: 0o600 });
  expect(await readStoreBytes(path.join(file, 'x.yaml'), trust())).toBeUndefined();
});

test('a FIFO is refused without waiting for a writer', async () => {
  const fifo = path.join(home, 'config.yaml');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  await expect(readStoreBytes(fifo, trust())).rejects.toThrow(`${fifo} is a FIFO: a profile store is a regular file`);
});

test('a directory and a device are refused by kind', async () => {
  await expect(readStoreBytes(home, trust())).rejects.toThrow(`${home} is a directory`);
  await expect(readStoreBytes('/dev/null', { uid, home: '/dev' })).rejects.toThrow('/dev/null is a device');
});

test('a file over the size bound is refused before it is read', async () => {
  const file = path.join(home, 'config.yaml');
  writeFileSync(file, Buffer.alloc(MAX_STORE_BYTES + 1, 0x20), { mode: 0o600 });
  await expect(readStoreBytes(file, trust())).rejects.toThrow(`${file} is ${MAX_STORE_BYTES + 1} bytes: a profile store is at most ${MAX_STORE_BYTES} bytes (1 MiB)`);
  writeFileSync(file, Buffer.alloc(MAX_STORE_BYTES, 0x20), { mode: 0o600 });
  expect((await readStoreBytes(file, trust()))!.bytes.length).toBe(MAX_STORE_BYTES);
});

test('a file others can write is refused (a ConfigError naming it)', async () => {
  const file = path.join(home, 'config.yaml');
  writeFileSync(file, 'profiles: {}\n');
  chmodSync(file, 0o666);
  const error = await readStoreBytes(file, trust()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(file);
});

test('a symlink is followed and the real file reported', async () => {
  const file = path.join(home, 'real.yaml');
  writeFileSync(file, 'profiles: {}\n', { mode: 0o600 });
  const link = path.join(home, 'config.yaml');
  symlinkSync(file, link);
  expect((await readStoreBytes(link, trust()))!.real).toBe(file);
});

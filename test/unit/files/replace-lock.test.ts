// The guarded-file layer's lock file and atomic replace: what is planted at a lock's path is
// refused, never opened; a lock whose write fails goes; a failed directory fsync is reported;
// nothing over the bound is written; the bytes go out exactly.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, RuntimeError } from '../../../src/shared/errors.js';
import { acquireLockFile, withLockFile } from '../../../src/files/lock.js';
import { FakeClock } from '../../helpers/fakes.js';
import { NotDurableError, nodeReplaceFs, removeDeadTemps, replaceFile, TooBigError } from '../../../src/files/replace.js';
import { readGuarded, resolveGuarded, STORE_RULES } from '../../../src/files/guard.js';
import { thisProcess } from '../../helpers/fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const busy = () => new RuntimeError('busy');
const words = { busy };
// The wait on the FakeClock: 50 ms of pauses pass at once, whatever the machine's load.
const clock = new FakeClock();
const quick = { waitMs: 50, now: () => clock.nowMs(), sleep: (ms: number) => clock.sleep(ms), ...thisProcess };

describe('the lock file', () => {
  it.each([
    ['a FIFO', (at: string) => execFileSync('mkfifo', [at]), /is a FIFO, not a lock file knock made/],
    ['a symlink to /dev/zero', (at: string) => symlinkSync('/dev/zero', at), /is a symlink, not a lock file knock made/],
    ['a dangling symlink', (at: string) => symlinkSync(path.join(dir, 'nowhere'), at), /is a symlink, not a lock file knock made/],
    ['a directory', (at: string) => mkdirSync(at), /is a directory, not a lock file knock made/],
  ])('%s at its path is refused at once, and left where it is', async (_what, make, message) => {
    const lock = path.join(dir, 'x.lock');
    make(lock);
    await expect(acquireLockFile(lock, words, { ...quick, uid: process.getuid!() })).rejects.toThrow(ConfigError);
    await expect(acquireLockFile(lock, words, { ...quick, uid: process.getuid!() })).rejects.toThrow(message);
    expect(existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });

  it('is held, then released; a second holder waits and gives up with the caller\'s error', async () => {
    const lock = path.join(dir, 'x.lock');
    const release = await acquireLockFile(lock, words, quick);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n${os.hostname()}\n`);
    await expect(acquireLockFile(lock, words, quick)).rejects.toThrow('busy');
    await release();
    expect(existsSync(lock)).toBe(false);
    await expect(withLockFile(lock, words, async () => 7, quick)).resolves.toBe(7);
  });

  it('names the holder it is given, not the process (the Io reads the process)', async () => {
    const lock = path.join(dir, 'x.lock');
    const release = await acquireLockFile(lock, words, { ...quick, pid: 4242, hostname: 'given-host' });
    expect(readFileSync(lock, 'utf8')).toBe('4242\ngiven-host\n');
    // Judged by the given host: our own host's pid 4242 is not asked about.
    const asked: number[] = [];
    await expect(acquireLockFile(lock, words, { ...quick, alive: (pid) => (asked.push(pid), false) })).rejects.toThrow('busy');
    expect(asked).toEqual([]);
    await release();
  });

  it('a lock of a pid that is gone on this host is broken; one of another host only by age', async () => {
    const lock = path.join(dir, 'x.lock');
    writeFileSync(lock, `999999\n${os.hostname()}\n`);
    await (await acquireLockFile(lock, words, { ...quick, alive: () => false }))();
    writeFileSync(lock, '999999\nelsewhere\n');
    await expect(acquireLockFile(lock, words, { ...quick, alive: () => false })).rejects.toThrow('busy');
    await (await acquireLockFile(lock, words, { ...quick, alive: () => false, staleMs: -1 }))();
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock whose contents cannot be written is removed, so the next run is not blocked', async () => {
    // /dev/full: every write fails with ENOSPC, as on a full disk.
    const lock = path.join(dir, 'x.lock');
    const { fs } = await import('../../../src/files/fs-calls.js');
    const realOpen = fs.open;
    const spy = jest.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      if (args[0] === lock) {
        jest.spyOn(handle, 'writeFile').mockRejectedValue(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      }
      return handle;
    });
    try {
      await expect(acquireLockFile(lock, words, quick)).rejects.toThrow(/cannot write the lock \(nothing changed\): no space left on device/);
    } finally {
      spy.mockRestore();
    }
    expect(existsSync(lock)).toBe(false);
  });
});

describe('the atomic replace', () => {
  it('writes the bytes exactly, with the mode asked for, and leaves no temp file', async () => {
    const file = path.join(dir, 'f');
    const bytes = Buffer.from([0x23, 0xe9, 0x0a, 0xff, 0x00]);
    await replaceFile(file, bytes, { mode: 0o640, maxBytes: 10, pid: process.pid });
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('names its temp file after the pid it is given', async () => {
    const file = path.join(dir, 'f');
    const seen: string[] = [];
    const fs = { ...nodeReplaceFs, writeFile: async (temp: string, bytes: Buffer, mode: number) => (seen.push(path.basename(temp)), nodeReplaceFs.writeFile(temp, bytes, mode)) };
    await replaceFile(file, Buffer.from('x'), { mode: 0o600, maxBytes: 10, pid: 4242, fs });
    expect(seen).toEqual([expect.stringMatching(/^\.f\.4242\.[0-9a-f]{8}\.tmp$/)]);
  });

  it('refuses more than the bound before writing anything', async () => {
    const file = path.join(dir, 'f');
    writeFileSync(file, 'old');
    await expect(replaceFile(file, Buffer.alloc(11), { mode: 0o600, maxBytes: 10, pid: process.pid })).rejects.toThrow(TooBigError);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('a directory fsync that fails is reported, not dropped', async () => {
    const file = path.join(dir, 'f');
    const fs = { ...nodeReplaceFs, syncDir: async () => Promise.reject(Object.assign(new Error('input/output error'), { code: 'EIO' })) };
    const error = await replaceFile(file, Buffer.from('new'), { mode: 0o600, maxBytes: 10, pid: process.pid, fs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotDurableError);
    expect((error as Error).message).toMatch(/written, but its directory could not be synced.*EIO/);
  });

  it('a failed write leaves the old file and no temp file', async () => {
    const file = path.join(dir, 'f');
    writeFileSync(file, 'old');
    const fs = { ...nodeReplaceFs, rename: async () => Promise.reject(new Error('EXDEV')) };
    await expect(replaceFile(file, Buffer.from('new'), { mode: 0o600, maxBytes: 10, pid: process.pid, fs })).rejects.toThrow('EXDEV');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('removes the temp files of dead edits, not of live ones', async () => {
    const file = path.join(dir, 'f');
    writeFileSync(path.join(dir, '.f.999999.0123abcd.tmp'), 'x');
    writeFileSync(path.join(dir, `.f.${process.pid}.0123abcd.tmp`), 'x');
    await removeDeadTemps(file, (pid) => pid === process.pid);
    expect(readdirSync(dir)).toEqual([`.f.${process.pid}.0123abcd.tmp`]);
  });
});

describe('the trusted open', () => {
  const trust = () => ({ uid: process.getuid!(), home: dir });

  it('reads a regular file; refuses a FIFO without blocking, and a device', async () => {
    const file = path.join(dir, 'f');
    writeFileSync(file, 'abc', { mode: 0o600 });
    expect((await readGuarded(file, trust(), STORE_RULES))!.bytes.toString()).toBe('abc');
    const fifo = path.join(dir, 'p');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    await expect(readGuarded(fifo, trust(), STORE_RULES)).rejects.toThrow(`${fifo} is a FIFO`);
    const zero = path.join(dir, 'z');
    symlinkSync('/dev/zero', zero);
    await expect(readGuarded(zero, trust(), STORE_RULES)).rejects.toThrow(`${zero} is a device`);
  });

  it('a dangling symlink is refused, naming where it points; a missing file is undefined', async () => {
    const link = path.join(dir, 'l');
    symlinkSync(path.join(dir, 'gone', 'x'), link);
    await expect(resolveGuarded(link, trust(), STORE_RULES)).rejects.toThrow(`${link} is a symlink to ${path.join(dir, 'gone', 'x')}, which does not exist`);
    await expect(readGuarded(path.join(dir, 'none'), trust(), STORE_RULES)).resolves.toBeUndefined();
  });

  (process.getuid?.() === 0 ? it : it.skip)("a symlink another user owns is not followed, even to our own file", async () => {
    const mine = path.join(dir, 'mine');
    writeFileSync(mine, 'abc', { mode: 0o600 });
    const link = path.join(dir, 'l');
    symlinkSync(mine, link);
    const { lchownSync } = await import('node:fs');
    lchownSync(link, 65534, 65534);
    await expect(readGuarded(link, trust(), STORE_RULES)).rejects.toThrow(/l is a symlink owned by uid 65534, not by you \(uid 0\) or root/);
  });
});

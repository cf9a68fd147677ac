// One-time sequence files: knockd's reading and marking, the trust checks, the lock.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, RuntimeError } from '../../../src/shared/errors.js';
import { acquireLock, claimOneTime, parseOneTime, readOneTime } from '../../../src/store/one-time.js';
import { FakeClock, thisProcess } from '../../helpers/fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-onetime-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (text: string, mode = 0o600, name = 'seq') => {
  const f = path.join(dir, name);
  writeFileSync(f, text, { mode });
  chmodSync(f, mode);
  return f;
};
const ports = (knocks: { protocol: string; port?: number }[]) => knocks.map((k) => `${k.port}/${k.protocol}`).join(',');
const isRoot = process.getuid?.() === 0;
const trust = () => ({ uid: process.getuid!(), home: dir });

describe('parseOneTime: the lines knockd would use, in its order', () => {
  it('skips empty lines and lines that start with # once trimmed; offsets are byte offsets', () => {
    const text = ' 1000,2000:udp\n#1001,2001\n\n   \n  # 1002\n\t3000:UDP , 4000 \n';
    const lines = parseOneTime(Buffer.from(text), 'f');
    expect(lines.map((l) => [l.line, l.offset, ports(l.knocks)])).toEqual([
      [1, 0, '1000/tcp,2000/udp'],
      [6, text.indexOf('\t3000'), '3000/udp,4000/tcp'],
    ]);
  });

  it('refuses a line knockd would read its own way, naming file and line', () => {
    for (const bad of ['7000,,8000', '0,1', '7000x', '7000:icmp', '70000', '7000,8000,', '\xa09001,9002:udp,9003', '\xa0', '+7000', '7000:udp:x']) {
      expect(() => parseOneTime(Buffer.from(` 1,2\n ${bad}\n`), 'f')).toThrow(new RegExp(`^f:2: `));
    }
    expect(() => parseOneTime(Buffer.from(Array.from({ length: 33 }, (_, i) => i + 1).join(',')), 'f')).toThrow(/33 knocks/);
  });

  it("reads bytes as knockd does: 0xA0 is not whitespace to knockd's trim() (C locale), so such a line is refused, not trimmed", () => {
    // A raw 0xA0 byte before the first port: knockd's atoi() reads port 0 there.
    const nbsp = Buffer.concat([Buffer.from(' 1,2\n'), Buffer.from([0xa0]), Buffer.from('9001,9002:udp,9003\n')]);
    expect(() => parseOneTime(nbsp, 'f')).toThrow("f:2: knock 1 '\\xa09001' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 0:tcp): fix it on both sides");
    // A line of only 0xA0: a blank to a Unicode trim, a port-0 sequence to knockd.
    expect(() => parseOneTime(Buffer.from([0x20, 0x31, 0x0a, 0xa0, 0x0a]), 'f')).toThrow("f:2: knock 1 '\\xa0' is not one knockd reads the same way");
    // C whitespace (\v, \f, \r) is trimmed as knockd trims it; a space before the protocol is fine to atoi().
    expect(parseOneTime(Buffer.from('\v\f 7000 :udp,8000\r\n'), 'f').map((l) => ports(l.knocks))).toEqual(['7000/udp,8000/tcp']);
  });
});

describe('claimOneTime', () => {
  it("marks the first unused line as knockd does ('#' over its first byte), one line per claim", async () => {
    const f = file(' 1000,2000\n3000,4000:udp\n 5000,6000\n');
    const first = await claimOneTime(f, trust(), thisProcess);
    expect([first.taken.line, ports(first.taken.knocks), first.left]).toEqual([1, '1000/tcp,2000/tcp', 2]);
    expect(readFileSync(f, 'utf8')).toBe('#1000,2000\n3000,4000:udp\n 5000,6000\n');
    const second = await claimOneTime(f, trust(), thisProcess);
    // No leading space: the first digit goes, as with knockd (its man page says to leave a space).
    expect(readFileSync(f, 'utf8')).toBe('#1000,2000\n#000,4000:udp\n 5000,6000\n');
    expect([second.taken.line, second.left, second.next?.line]).toEqual([2, 1, 3]);
    expect((await readOneTime(f, trust())).unused.map((l) => l.line)).toEqual([3]);
  });

  it('an exhausted list is a ConfigError and leaves the file as it was', async () => {
    const f = file('#1,2\n# 3,4\n');
    await expect(claimOneTime(f, trust(), thisProcess)).rejects.toThrow(ConfigError);
    await expect(claimOneTime(f, trust(), thisProcess)).rejects.toThrow(/no unused one-time sequence left/);
    expect(readFileSync(f, 'utf8')).toBe('#1,2\n# 3,4\n');
    expect(existsSync(`${f}.lock`)).toBe(false);
  });

  it('claims made at once in one process take different lines', async () => {
    const f = file(Array.from({ length: 20 }, (_, i) => ` ${1000 + i},${2000 + i}\n`).join(''));
    const claims = await Promise.all(Array.from({ length: 12 }, () => claimOneTime(f, trust(), thisProcess)));
    const taken = claims.map((c) => c.taken.line).sort((a, b) => a - b);
    expect(taken).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await readOneTime(f, trust())).unused).toHaveLength(8);
  });
});

describe('trust checks (the store\'s: owner, mode, regular file, size)', () => {
  it('refuses a file group or others may write', async () => {
    const f = file(' 1,2\n', 0o620);
    await expect(readOneTime(f, trust())).rejects.toThrow(/is writable by group \(mode 0620\): chmod 600/);
    await expect(claimOneTime(f, trust(), thisProcess)).rejects.toThrow(ConfigError);
    expect(readFileSync(f, 'utf8')).toBe(' 1,2\n');
  });

  it('refuses a file in a directory group or anyone may write (without the sticky bit)', async () => {
    const open = path.join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(path.join(open, 'seq'), ' 1,2\n', { mode: 0o600 });
    await expect(claimOneTime(path.join(open, 'seq'), trust(), thisProcess)).rejects.toThrow(`${open} (a directory above the one-time sequences file ${open}/seq) is writable by group and others (mode 0777)`);
    chmodSync(open, 0o775);
    await expect(readOneTime(path.join(open, 'seq'), trust())).rejects.toThrow(`${open} (a directory above the one-time sequences file ${open}/seq) is writable by group (mode 0775)`);
    chmodSync(open, 0o1777);
    await expect(claimOneTime(path.join(open, 'seq'), trust(), thisProcess)).resolves.toMatchObject({ left: 0 });
  });

  it('warns when others may read it', async () => {
    expect((await readOneTime(file(' 1,2\n', 0o644), trust())).warning).toMatch(/readable by group or others/);
    expect((await readOneTime(file(' 1,2\n', 0o600, 'b'), trust())).warning).toBeUndefined();
  });

  it('refuses what is not a regular file, a missing file, a huge file', async () => {
    mkdirSync(path.join(dir, 'd'));
    await expect(readOneTime(path.join(dir, 'd'), trust())).rejects.toThrow(/is a directory: a one-time sequences file is a regular file/);
    await expect(readOneTime(path.join(dir, 'none'), trust())).rejects.toThrow(/not found \(copy the server's list there/);
    await expect(readOneTime(file(' 1,2\n'.repeat(300_000)), trust())).rejects.toThrow(/is 1500000 bytes: a one-time sequences file is at most 1048576 bytes/);
  });

  it('follows a symlink to a file of your own, and marks the target', async () => {
    const target = file(' 1,2\n');
    const link = path.join(dir, 'link');
    symlinkSync(target, link);
    const claimed = await claimOneTime(link, trust(), thisProcess);
    expect(claimed.file).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('#1,2\n');
  });

  (isRoot ? it : it.skip)('refuses a file, or a symlink to a file, that someone else owns', async () => {
    const other = file(' 1,2\n', 0o600, 'other');
    chownSync(other, 65534, 65534);
    const link = path.join(dir, 'link');
    symlinkSync(other, link);
    await expect(readOneTime(other, trust())).rejects.toThrow(/owned by uid 65534, not by you/);
    await expect(claimOneTime(link, trust(), thisProcess)).rejects.toThrow(/owned by uid 65534, not by you/);
    expect(readFileSync(other, 'utf8')).toBe(' 1,2\n');
  });
});

describe('the lock beside the file', () => {
  it('breaks a lock left by a process that is gone (kill -9)', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const f = file(' 1,2\n 3,4\n');
    writeFileSync(`${f}.lock`, `${dead.stdout} deadbeef\n`, { mode: 0o600 });
    const claimed = await claimOneTime(f, trust(), thisProcess);
    expect(claimed.taken.line).toBe(1);
    expect(existsSync(`${f}.lock`)).toBe(false);
  });

  it('breaks a lock older than any claim takes, whoever it names', async () => {
    const f = file(' 1,2\n');
    writeFileSync(`${f}.lock`, `${process.pid} x\n`, { mode: 0o600 });
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${f}.lock`, old, old);
    await expect(claimOneTime(f, trust(), thisProcess)).resolves.toMatchObject({ left: 0 });
  });

  it('waits for a live holder, then gives up with exit 1, naming the lock and the pid', async () => {
    const lock = path.join(dir, 'x.lock');
    const release = await acquireLock(lock, trust(), thisProcess);
    // The wait on the FakeClock: its pauses are counted, not slept.
    const clock = new FakeClock();
    const started = clock.nowMs();
    const error = await acquireLock(lock, trust(), { ...thisProcess, waitMs: 150, now: () => clock.nowMs(), sleep: (ms) => clock.sleep(ms) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toBe(`${lock}: still held by pid ${process.pid} after 150 ms (another knock is taking a one-time sequence)`);
    // It gave up only once its clock had passed the wait, after pausing between tries.
    expect(clock.nowMs() - started).toBeGreaterThan(150);
    expect(clock.sleeps.length).toBeGreaterThan(1);
    expect(clock.sleeps.every((ms) => ms > 0 && ms <= 60)).toBe(true);
    await release();
    await (await acquireLock(lock, trust(), { ...thisProcess, waitMs: 150 }))();
    expect(existsSync(lock)).toBe(false);
  });

  (isRoot ? it : it.skip)("refuses a lock file that someone else made (it could hold the list hostage or be a trap)", async () => {
    const f = file(' 1,2\n');
    writeFileSync(`${f}.lock`, '1 x\n', { mode: 0o600 });
    chownSync(`${f}.lock`, 65534, 65534);
    await expect(claimOneTime(f, trust(), thisProcess)).rejects.toThrow(/not a lock file of yours \(uid 65534\)/);
    expect(readFileSync(f, 'utf8')).toBe(' 1,2\n');
  });
});

test('a line knockd would read as two is refused, a used one too (its rest would lose the #)', () => {
  expect(() => parseOneTime(Buffer.from(` 1,2\n#${'1,'.repeat(2100)}1\n 3,4\n`), 'f')).toThrow('f:2: line longer than knockd reads (4094 bytes)');
  expect(parseOneTime(Buffer.from(`#${'1,'.repeat(2000)}1\n 3,4\n`), 'f').map((l) => l.line)).toEqual([2]);
});

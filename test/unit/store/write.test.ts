import { spawnSync } from 'node:child_process';
import { lstatSync, symlinkSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../../src/shared/errors.js';
import { editStoreBytes, editStoreText, nodeStoreFs, readForEdit, writeStore, type StoreFs } from '../../../src/store/write.js';
import { thisProcess } from '../../helpers/fakes.js';

const STORE = `# my knock profiles
profiles:
  # the office box
  office:
    host: office.example   # behind the NAT
    open: [7000, 8000:udp, 9000]
    delay: 50
  lab:
    host: 198.18.0.2
    open: [1111, 2222]
`;

let dir: string;
const trust = () => ({ uid: process.getuid!(), home: dir });
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('editStoreText (YAML)', () => {
  it('keeps comments and order when adding a profile', () => {
    const out = editStoreText('config.yaml', STORE, { set: [['new', { host: 'h.example', open: [1, '2:udp', 'icmp'] }]] });
    expect(out.startsWith(STORE)).toBe(true); // every untouched byte, the comment's three spaces too
    expect(out).toContain('    open: [7000, 8000:udp, 9000]\n');
    expect(Object.keys(parse(out).profiles)).toEqual(['office', 'lab', 'new']);
    expect(out).toContain('  new:\n    host: h.example\n    open: [1, 2:udp, icmp]\n');
  });

  it('removes a profile and keeps the others with their comments', () => {
    const out = editStoreText('config.yaml', STORE, { remove: ['lab'] });
    expect(out).toContain('# the office box');
    expect(out).toContain('# behind the NAT');
    expect(Object.keys(parse(out).profiles)).toEqual(['office']);
  });

  it('replaces a profile in place', () => {
    const out = editStoreText('config.yaml', STORE, { set: [['office', { host: 'other', open: [5] }]] });
    expect(Object.keys(parse(out).profiles)).toEqual(['office', 'lab']);
    expect(parse(out).profiles.office).toEqual({ host: 'other', open: [5] });
  });

  it('starts an empty file', () => {
    expect(parse(editStoreText('config.yaml', '', { set: [['a', { host: 'h', open: [1, 2] }]] }))).toEqual({ profiles: { a: { host: 'h', open: [1, 2] } } });
  });

  it('refuses a profile the loader would refuse, naming the file and profile', () => {
    expect(() => editStoreText('/x/config.yaml', STORE, { set: [['bad', { host: 'h', open: [] }]] })).toThrow(/\/x\/config\.yaml: profile 'bad': open: empty sequence/);
  });

  it('refuses a store that does not parse, with its line', () => {
    expect(() => editStoreText('/x/config.yaml', 'profiles:\n  a: [\n', { remove: ['a'] })).toThrow(ConfigError);
  });
});

describe('editStoreText (JSON)', () => {
  it('edits a .json store as JSON', () => {
    const text = JSON.stringify({ profiles: { a: { host: 'h', open: [1, 2] } } });
    const out = editStoreText('knock.json', text, { set: [['b', { host: 'g', open: ['3:udp'] }]] });
    expect(JSON.parse(out)).toEqual({ profiles: { a: { host: 'h', open: [1, 2] }, b: { host: 'g', open: ['3:udp'] } } });
  });

  it('edits an extension-less store holding JSON as JSON', () => {
    const out = editStoreText('.knockrc', '{"profiles":{"a":{"open":[1]}}}', { remove: ['a'] });
    expect(JSON.parse(out)).toEqual({ profiles: {} });
  });
});

describe('writeStore', () => {
  it('creates a new store (and its directory) readable by the owner only', async () => {
    const file = path.join(dir, 'knock', 'config.yaml');
    const umask = process.umask(0o022);
    try {
      await writeStore(file, { set: [['a', { host: 'h', open: [1, 2] }]] }, { trust: trust(), holder: thisProcess });
    } finally {
      process.umask(umask);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(parse(readFileSync(file, 'utf8'))).toEqual({ profiles: { a: { host: 'h', open: [1, 2] } } });
  });

  it("keeps an existing store's mode and leaves no temp file", async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE);
    chmodSync(file, 0o640);
    await writeStore(file, { remove: ['lab'] }, { trust: trust(), holder: thisProcess });
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('loses nothing when the write fails: the old file stays whole and the temp file goes', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE, { mode: 0o600 });
    const failing: StoreFs = {
      ...nodeStoreFs,
      async writeFile(temp, text, mode) {
        await nodeStoreFs.writeFile(temp, text.subarray(0, 10), mode); // a torn write...
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); // ...then the disk is full
      },
    };
    await expect(writeStore(file, { remove: ['office'] }, { trust: trust(), holder: thisProcess, fs: failing })).rejects.toThrow(`${file}: cannot write (the store is unchanged): no space left on device (ENOSPC)`);
    expect(readFileSync(file, 'utf8')).toBe(STORE);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('loses nothing when the rename fails', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE, { mode: 0o600 });
    const failing: StoreFs = { ...nodeStoreFs, rename: async () => Promise.reject(Object.assign(new Error('EXDEV'), { code: 'EXDEV' })) };
    await expect(writeStore(file, { set: [['x', { open: [1] }]] }, { trust: trust(), holder: thisProcess, fs: failing })).rejects.toThrow(ConfigError);
    expect(readFileSync(file, 'utf8')).toBe(STORE);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('edits a symlinked store where it lives, keeping the link', async () => {
    const real = path.join(dir, 'real.yaml');
    writeFileSync(real, STORE, { mode: 0o600 });
    symlinkSync(real, path.join(dir, 'config.yaml'));
    await writeStore(path.join(dir, 'config.yaml'), { remove: ['lab'] }, { trust: trust(), holder: thisProcess });
    expect(lstatSync(path.join(dir, 'config.yaml')).isSymbolicLink()).toBe(true);
    expect(Object.keys(parse(readFileSync(real, 'utf8')).profiles)).toEqual(['office']);
  });

  it('writes nothing when the new profile is invalid', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE, { mode: 0o600 });
    await expect(writeStore(file, { set: [['x', { open: [70000] }]] }, { trust: trust(), holder: thisProcess })).rejects.toThrow(/profile 'x': open\[0\]: port 70000/);
    expect(readFileSync(file, 'utf8')).toBe(STORE);
  });
});

describe('writeStore: the reading made before the lock', () => {
  const PLAIN = 'profiles:\n  office:\n    host: office.example\n    open: [7000, 8000:udp, 9000]\n  lab:\n    host: 198.18.0.2\n    open: [1111, 2222]\n';

  it('is used when the bytes under the lock are the same', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, PLAIN, { mode: 0o600 });
    const known = readForEdit(file, readFileSync(file));
    await writeStore(file, { set: [['new', { host: 'h', open: [1] }]] }, { trust: trust(), holder: thisProcess, known });
    expect(readFileSync(file, 'utf8')).toBe(`${PLAIN}  new:\n    host: h\n    open: [1]\n`);
  });

  it('is not used when another run wrote in between: its profile stays, and its removal too', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, PLAIN, { mode: 0o600 });
    const known = readForEdit(file, readFileSync(file));
    // Another knock adds a profile and removes one after we read, before we take the lock.
    await writeStore(file, { set: [['theirs', { host: 't', open: [5] }]], remove: ['lab'] }, { trust: trust(), holder: thisProcess });
    await writeStore(file, { set: [['mine', { host: 'm', open: [6] }]] }, { trust: trust(), holder: thisProcess, known });
    expect(parse(readFileSync(file, 'utf8')).profiles).toEqual({ office: { host: 'office.example', open: [7000, '8000:udp', 9000] }, theirs: { host: 't', open: [5] }, mine: { host: 'm', open: [6] } });
  });

  it("refuses what the other run's write makes impossible, as read under the lock", async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, PLAIN, { mode: 0o600 });
    const known = readForEdit(file, readFileSync(file));
    await writeStore(file, { set: [['mine', { host: 'x', open: [1] }]] }, { trust: trust(), holder: thisProcess });
    const check = (names: ReadonlySet<string>) => {
      if (names.has('mine')) throw new ConfigError('mine already exists');
    };
    await expect(writeStore(file, { set: [['mine', { host: 'm', open: [6] }]], check }, { trust: trust(), holder: thisProcess, known })).rejects.toThrow('mine already exists');
    expect(parse(readFileSync(file, 'utf8')).profiles.mine).toEqual({ host: 'x', open: [1] });
  });
});

describe('editStoreBytes: only the edited profile changes', () => {
  const edit = (text: string, e: Parameters<typeof editStoreText>[2]) => editStoreText('config.yaml', text, e);

  it('replaces a profile in place, between untouched neighbours', () => {
    const text = 'profiles:\n  a:   {open: [1]}   # flow, odd spacing\n  b:\n    open: [2]\n  c:\n    open: [3]  # c\n';
    expect(edit(text, { set: [['b', { host: 'h', open: [9] }]] })).toBe('profiles:\n  a:   {open: [1]}   # flow, odd spacing\n  b:\n    host: h\n    open: [9]\n  c:\n    open: [3]  # c\n');
  });

  it('a flow mapping of profiles falls back to a rewrite that is still correct', () => {
    const out = edit('{"profiles": {"a": {"open": [1]}}}\n', { set: [['b', { open: [2] }]] });
    expect(parse(out)).toEqual({ profiles: { a: { open: [1] }, b: { open: [2] } } });
  });

  it('an alias into the removed profile gets the value it stood for', () => {
    const out = edit('profiles:\n  a:\n    host: &h gate.example\n    open: &s [1, 2]\n  b:\n    host: *h\n    open: *s\n', { remove: ['a'] });
    expect(parse(out)).toEqual({ profiles: { b: { host: 'gate.example', open: [1, 2] } } });
  });

  it('an alias into a replaced profile too', () => {
    const out = edit('profiles:\n  a:\n    open: &s [1, 2]\n  b:\n    open: *s\n', { set: [['a', { open: [5] }]] });
    expect(parse(out)).toEqual({ profiles: { a: { open: [5] }, b: { open: [1, 2] } } });
  });

  it('a profile name or host that is not ASCII is written as UTF-8', () => {
    const out = editStoreBytes('config.yaml', Buffer.from('profiles:\n'), { set: [['büro', { host: 'gäte.example', open: [1] }]] });
    expect(out.toString('utf8')).toBe('profiles:\n  büro:\n    host: gäte.example\n    open: [1]\n');
  });

  it('`check` runs on the names as read and can refuse the edit', () => {
    expect(() => edit('profiles:\n  a:\n    open: [1]\n', { set: [['a', { open: [2] }]], check: (n) => { if (n.has('a')) throw new ConfigError('exists'); } })).toThrow('exists');
  });

  it('a store that is not a store is not edited', () => {
    expect(() => edit('root: x\n', { set: [['a', { open: [1] }]] })).toThrow(/is not a knock profile store/);
  });
});

describe('writeStore: trust', () => {
  it('refuses to write into a store others can write, or under a directory they can write', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE, { mode: 0o600 });
    chmodSync(file, 0o606);
    await expect(writeStore(file, { remove: ['lab'] }, { trust: { uid: process.getuid!(), home: dir }, holder: thisProcess })).rejects.toThrow(/is writable by others \(mode 0606\)/);
    chmodSync(file, 0o600);
    chmodSync(dir, 0o777);
    await expect(writeStore(file, { remove: ['lab'] }, { trust: { uid: process.getuid!(), home: '/nonexistent' }, holder: thisProcess })).rejects.toThrow(/a directory above the store .* is writable by group and others/);
    expect(readFileSync(file, 'utf8')).toBe(STORE);
  });

  it('a dangling symlink is an error naming where it points, not a new file beside it', async () => {
    symlinkSync(path.join(dir, 'gone.yaml'), path.join(dir, 'config.yaml'));
    await expect(writeStore(path.join(dir, 'config.yaml'), { set: [['a', { open: [1] }]] }, { trust: trust(), holder: thisProcess })).rejects.toThrow(/config\.yaml is a symlink to \S+gone\.yaml, which does not exist/);
  });
});

describe('writeStore: what a killed edit left', () => {
  it('removes the temp file of a dead edit, and keeps one whose process still runs', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, STORE, { mode: 0o600 });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid; // a pid that no longer runs
    const dead = path.join(dir, `.config.yaml.${gone}.0a1b2c3d.tmp`);
    const live = path.join(dir, `.config.yaml.${process.pid}.0a1b2c3d.tmp`);
    const other = path.join(dir, '.other.yaml.999999.0a1b2c3d.tmp');
    for (const f of [dead, live, other]) writeFileSync(f, 'partial');
    await writeStore(file, { remove: ['lab'] }, { trust: trust(), holder: thisProcess });
    expect(readdirSync(dir).sort()).toEqual([path.basename(live), path.basename(other), 'config.yaml'].sort());
  });
});

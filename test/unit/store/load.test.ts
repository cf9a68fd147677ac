import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultStorePath, explicitStorePath, loadStore } from '../../../src/store/load.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { fakeIo } from '../../helpers/fakes.js';

// The environment and home come only from the Io: the test process's own are never touched.
function withHome() {
  const io = fakeIo();
  const write = (relative: string, text: string) => {
    const file = path.join(io.homedir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  return { io, write };
}

const YAML = 'profiles:\n  box:\n    host: 127.0.0.1\n    open: [7000, "8000:udp"]\n';

test('finds $XDG_CONFIG_HOME/knock/config.yaml', async () => {
  const { io, write } = withHome();
  const file = write('.config/knock/config.yaml', YAML);
  const store = await loadStore(undefined, io);
  expect(store.file).toBe(file);
  expect([...store.profiles.keys()]).toEqual(['box']);
  io.cleanup();
});

test('an XDG_CONFIG_HOME outside home', async () => {
  const { io, write } = withHome();
  const xdg = path.join(io.homedir, 'elsewhere');
  io.env.XDG_CONFIG_HOME = xdg;
  const file = write('elsewhere/knock/config.yaml', YAML);
  expect((await loadStore(undefined, io)).file).toBe(file);
  io.cleanup();
});

test('the store is found even when only io.env names the XDG directory', async () => {
  const { io, write } = withHome();
  const file = write('xdg/knock/config.json', JSON.stringify({ profiles: { j: { open: [1] } } }));
  io.env.XDG_CONFIG_HOME = path.join(io.homedir, 'xdg');
  expect((await loadStore(undefined, io)).file).toBe(file);
  io.cleanup();
});

test('no search from the working directory: a .knockrc.yaml there is not a store', async () => {
  const { io, write } = withHome();
  const xdg = write('.config/knock/config.yaml', YAML);
  write('project/.knockrc.yaml', 'profiles:\n  near:\n    open: [1]\n');
  write('project/package.json', JSON.stringify({ knock: { profiles: { pkg: { open: [1] } } } }));
  const store = await loadStore(undefined, { ...io, cwd: path.join(io.homedir, 'project') });
  expect(store.file).toBe(xdg);
  expect([...store.profiles.keys()]).toEqual(['box']);
  io.cleanup();
});

test('--config package.json reads its "knock" key; a comments-only --config is that (empty) store', async () => {
  const { io, write } = withHome();
  const pkg = write('package.json', JSON.stringify({ name: 'x', knock: { profiles: { pkg: { open: [1] } } } }));
  expect([...(await loadStore(pkg, io)).profiles.keys()]).toEqual(['pkg']);
  const empty = write('empty.yaml', '# nothing yet\n');
  const store = await loadStore(empty, io);
  expect(store.file).toBe(empty);
  expect(store.profiles.size).toBe(0);
  io.cleanup();
});

test('no store anywhere: an empty store without a file', async () => {
  const { io } = withHome();
  const store = await loadStore(undefined, io);
  expect(store.file).toBeUndefined();
  expect(store.profiles.size).toBe(0);
  io.cleanup();
});

test('--config reads YAML or JSON, relative to the working directory', async () => {
  const { io, write } = withHome();
  write('a.yaml', YAML);
  write('b.json', JSON.stringify({ profiles: { j: { open: [1, 'icmp'] } } }));
  expect([...(await loadStore('a.yaml', io)).profiles.keys()]).toEqual(['box']);
  const json = await loadStore('b.json', io);
  expect(json.file).toBe(path.join(io.homedir, 'b.json'));
  expect(json.profiles.get('j')?.open).toEqual([{ protocol: 'tcp', port: 1 }, { protocol: 'icmp', size: 56 }]);
  io.cleanup();
});

test('--config wins over KNOCK_CONFIG, which wins over the search', async () => {
  const { io, write } = withHome();
  write('.config/knock/config.yaml', YAML);
  const fromEnv = write('env.yaml', 'profiles:\n  env:\n    open: [1]\n');
  const fromOption = write('opt.yaml', 'profiles:\n  opt:\n    open: [1]\n');
  io.env.KNOCK_CONFIG = fromEnv;
  expect((await loadStore(undefined, io)).file).toBe(fromEnv);
  expect((await loadStore(fromOption, io)).file).toBe(fromOption);
  expect(explicitStorePath(undefined, { env: {}, cwd: '/x' })).toBeUndefined();
  expect(explicitStorePath(undefined, { env: { KNOCK_CONFIG: '' }, cwd: '/x' })).toBeUndefined();
  io.cleanup();
});

test('a missing --config or KNOCK_CONFIG file names the file and where it came from', async () => {
  const { io } = withHome();
  const missing = path.join(io.homedir, 'nope.yaml');
  await expect(loadStore(missing, io)).rejects.toThrow(new ConfigError(`config file not found: ${missing} (from --config)`));
  io.env.KNOCK_CONFIG = missing;
  await expect(loadStore(undefined, io)).rejects.toThrow(new ConfigError(`config file not found: ${missing} (from KNOCK_CONFIG)`));
  io.cleanup();
});

test('a YAML file that does not parse: file and line, one line of reason', async () => {
  const { io, write } = withHome();
  const file = write('.config/knock/config.yaml', 'profiles:\n  a:\n    open: [1, 2\n  b: x\n');
  const error = await loadStore(undefined, io).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: does not parse: \\S`));
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/at line \d+, column/);
  io.cleanup();
});

test('a JSON file that does not parse: file and line', async () => {
  const { io, write } = withHome();
  const file = write('bad.json', '{\n  "profiles": {\n    "a": {"open": [1, 2}\n  }\n}\n');
  await expect(loadStore(file, io)).rejects.toThrow(new RegExp(`^${file.replace(/[.]/g, '\\.')}:3:\\d+: does not parse`));
  io.cleanup();
});

test('duplicate keys do not parse', async () => {
  const { io, write } = withHome();
  const file = write('dup.yaml', 'profiles:\n  a:\n    open: [1]\n  a:\n    open: [2]\n');
  await expect(loadStore(file, io)).rejects.toThrow(/dup\.yaml:4:\d+: does not parse/);
  io.cleanup();
});

test('a bad profile is set aside with its errors; the others load', async () => {
  const { io, write } = withHome();
  write('.config/knock/config.yaml', 'profiles:\n  web:\n    open: [1, "2:sctp"]\n  ok:\n    open: [1]\n');
  const store = await loadStore(undefined, io);
  expect([...store.profiles.keys()]).toEqual(['ok']);
  expect(store.broken?.get('web')).toEqual(["open[1]: unknown protocol 'sctp' in '2:sctp' (tcp, udp or icmp)"]);
  io.cleanup();
});

test('an alias without its anchor, and a billion laughs, are refused in one line', async () => {
  const { io, write } = withHome();
  const dangling = write('a.yaml', 'profiles:\n  a:\n    open: *nowhere\n');
  await expect(loadStore(dangling, io)).rejects.toThrow(/a\.yaml: does not parse: an alias without its anchor/);
  const laughs = ['a: &a [1,1,1,1,1,1,1,1,1,1]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill('*' + 'abcdefgh'[i]).join(',')}]`)].join('\n');
  const bomb = write('b.yaml', `${laughs}\nprofiles: {}\n`);
  await expect(loadStore(bomb, io)).rejects.toThrow(/b\.yaml: does not parse: an alias without its anchor, or too many aliases/);
  io.cleanup();
});

test('a file that is not a store: no line of it is repeated', async () => {
  const { io, write } = withHome();
  const shadow = write('shadow', 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
  const error = (await loadStore(shadow, io).catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).not.toMatch(/SECRET|daemon|19000/);
  const odd = write('odd.yaml', 'a: [1,2]]]\n!secret123 x: y\n');
  expect(((await loadStore(odd, io).catch((e: unknown) => e)) as Error).message).not.toMatch(/secret123|\]/);
  io.cleanup();
});

test('a directory given as --config, and a JavaScript config, are refused', async () => {
  const { io, write } = withHome();
  await expect(loadStore(io.homedir, io)).rejects.toThrow(`${io.homedir} is a directory: a profile store is a regular file`);
  const js = write('knock.config.js', 'export default {}');
  await expect(loadStore(js, io)).rejects.toThrow(`${js}: knock reads YAML or JSON profile stores only`);
  io.cleanup();
});

test('defaultStorePath', () => {
  expect(defaultStorePath({ env: {}, homedir: '/home/u' })).toBe('/home/u/.config/knock/config.yaml');
  expect(defaultStorePath({ env: { XDG_CONFIG_HOME: '/x' }, homedir: '/home/u' })).toBe('/x/knock/config.yaml');
});

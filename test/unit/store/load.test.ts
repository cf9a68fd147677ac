import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultStorePath, explicitStorePath, loadStore } from '../../../src/store/load.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { fakeIo } from '../../helpers/fakes.js';

// cosmiconfig's global search reads process.env (env-paths), so tests that search set it too.
const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, HOME: process.env.HOME };
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function withHome() {
  const io = fakeIo();
  process.env.HOME = io.homedir;
  process.env.XDG_CONFIG_HOME = io.env.XDG_CONFIG_HOME;
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
  process.env.XDG_CONFIG_HOME = xdg;
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

test('a .knockrc.yaml in the working directory comes before the XDG store', async () => {
  const { io, write } = withHome();
  write('.config/knock/config.yaml', YAML);
  const project = write('project/.knockrc.yaml', 'profiles:\n  near:\n    open: [1]\n');
  const store = await loadStore(undefined, { ...io, cwd: path.join(io.homedir, 'project') });
  expect(store.file).toBe(project);
  expect([...store.profiles.keys()]).toEqual(['near']);
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

test('a bad profile names the file and the profile', async () => {
  const { io, write } = withHome();
  const file = write('.config/knock/config.yaml', 'profiles:\n  web:\n    open: [1, "2:sctp"]\n');
  await expect(loadStore(undefined, io)).rejects.toThrow(`${file}: profile 'web': open[1]: unknown protocol 'sctp'`);
  io.cleanup();
});

test('a directory given as --config, and a JavaScript config, are refused', async () => {
  const { io, write } = withHome();
  await expect(loadStore(io.homedir, io)).rejects.toThrow(new RegExp(`^${io.homedir}: cannot read: .*EISDIR`));
  const js = write('knock.config.js', 'export default {}');
  await expect(loadStore(js, io)).rejects.toThrow(`${js}: knock reads YAML or JSON profile stores only`);
  io.cleanup();
});

test('defaultStorePath', () => {
  expect(defaultStorePath({ env: {}, homedir: '/home/u' })).toBe('/home/u/.config/knock/config.yaml');
  expect(defaultStorePath({ env: { XDG_CONFIG_HOME: '/x' }, homedir: '/home/u' })).toBe('/x/knock/config.yaml');
});

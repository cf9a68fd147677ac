// What start-up evaluates: `knock --version` must not even compile the bundle (stdout, a pipe, brings net), and the knock
// path must not load what it does not use. A preload records every file read through
// fs.readFileSync and node's own module list at exit, from the built bin/knock.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runKnock, runProcess, KNOCK_BIN, ROOT, TempHome } from '../helpers/run-knock.js';

let dir: string;
let home: TempHome;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-trace-'));
  writeFileSync(
    path.join(dir, 'trace.cjs'),
    [
      "const fs = require('node:fs');",
      'const read = fs.readFileSync;',
      'const files = [];',
      'fs.readFileSync = function (file, ...rest) { files.push(String(file)); return read.call(this, file, ...rest); };',
      "process.on('exit', () => fs.writeFileSync(process.env.KNOCK_TRACE, JSON.stringify({ files, modules: process.moduleLoadList })));",
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

async function traced(args: string[]): Promise<{ code: number | null; stdout: string; files: string[]; modules: string[] }> {
  const out = path.join(dir, `trace-${Date.now()}-${Math.random()}.json`);
  const result = await runProcess(process.execPath, ['-r', path.join(dir, 'trace.cjs'), KNOCK_BIN, ...args], { env: { ...home.env, KNOCK_TRACE: out } });
  const trace = JSON.parse(readFileSync(out, 'utf8')) as { files: string[]; modules: string[] };
  return { code: result.code, stdout: result.stdout, ...trace };
}

const builtins = (modules: string[]) => modules.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));

test.each([['--version'], ['-V']])('knock %s prints the version without compiling the bundle', async (flag) => {
  const plain = await runKnock(['--version', 'x']);
  const t = await traced([flag]);
  expect(t.code).toBe(0);
  // The same text as the CLI's own --version (which `--version x` reaches).
  expect(t.stdout).toBe(plain.stdout);
  expect(t.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  expect(t.files.filter((f) => f.includes('knock-core'))).toEqual([]);
  for (const unneeded of ['crypto', 'dgram', 'child_process', 'dns', 'os', 'readline', 'zlib', 'http']) expect(builtins(t.modules)).not.toContain(unneeded);
});

/** What a knock has no use for: Node's streams (stdout a pipe here: its lines go by write(2)), net and what listening with it brings, fs/promises and readline. */
const NOT_ON_THE_KNOCK_PATH = ['crypto', 'child_process', 'dgram', 'zlib', 'http', 'net', 'stream', 'cluster', 'fs/promises', 'internal/readline/interface', 'tty'];

test('the knock path (a dry run and an ad-hoc knock) reads knock-fast.cjs only and loads none of koffi, ora, net, streams, fs/promises', async () => {
  home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [1]\n');
  for (const args of [['-n', 'door'], ['-n', '127.0.0.1', '1']]) {
    const t = await traced(args);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('dry run: nothing was sent');
    // The check can fail: the knock path's bundle was read, and not the whole CLI's.
    expect(t.files.some((f) => f.endsWith('knock-fast.cjs'))).toBe(true);
    expect(t.files.filter((f) => /knock-(core|yaml)\.cjs/.test(f))).toEqual([]);
    expect(t.files.filter((f) => /node_modules[\\/](koffi|ora|@koromix)/.test(f))).toEqual([]);
    expect(t.modules.filter((m) => /koffi|ora/.test(m))).toEqual([]);
    for (const unneeded of NOT_ON_THE_KNOCK_PATH) expect(builtins(t.modules)).not.toContain(unneeded);
  }
});

test('a real TCP knock (sequence lock taken, one SYN to a closed loopback port) loads none of them either: libuv handles, not net', async () => {
  const t = await traced(['127.0.0.1', '1']);
  expect(t.code).toBe(0);
  expect(t.stdout).toContain('knocked 127.0.0.1');
  expect(t.modules.filter((m) => /koffi|ora/.test(m))).toEqual([]);
  for (const unneeded of NOT_ON_THE_KNOCK_PATH) expect(builtins(t.modules)).not.toContain(unneeded);
  // The check can fail: the handles are Node's bindings, which it lists.
  expect(t.modules).toContain('Internal Binding tcp_wrap');
  expect(t.modules).toContain('Internal Binding pipe_wrap');
});

test('where process.binding warns (--pending-deprecation), the same knock goes by net, without a warning', async () => {
  const t = await runProcess(process.execPath, ['--pending-deprecation', '-r', path.join(dir, 'trace.cjs'), KNOCK_BIN, '127.0.0.1', '1'], {
    env: { ...home.env, KNOCK_TRACE: path.join(dir, 'pending.json') },
  });
  expect(t.code).toBe(0);
  expect(t.stdout).toContain('knocked 127.0.0.1');
  expect(t.stderr).toBe('');
  const { modules } = JSON.parse(readFileSync(path.join(dir, 'pending.json'), 'utf8')) as { modules: string[] };
  expect(builtins(modules)).toContain('net');
});

/**
 * Which of the bundle's modules a run evaluated: the same bundle built with its identifiers kept
 * (`build.mjs --readable`), where each module's lazy initialiser is named after its file, and
 * V8's coverage of the run.
 */
describe('modules the bundle evaluates', () => {
  let readable: string;
  beforeAll(() => {
    readable = path.join(dir, 'readable');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--readable', readable], { cwd: ROOT, stdio: 'ignore' });
  }, 120000);

  /** The functions each run evaluated, from whichever of the bundles it ran (`bundles`: which). */
  async function evaluated(args: string[]): Promise<{ code: number | null; modules: string[]; bundles: string[] }> {
    const coverage = mkdtempSync(path.join(dir, 'coverage-'));
    const script = `require(${JSON.stringify(path.join(readable, 'knock.cjs'))}).main(${JSON.stringify(args)}).then((c) => (process.exitCode = c))`;
    const result = await runProcess(process.execPath, ['-e', script], { env: { ...home.env, NODE_V8_COVERAGE: coverage } });
    const scripts = readdirSync(coverage).flatMap(
      (file) =>
        (JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] }).result,
    ).filter((script) => /knock-(core|fast|yaml)\.cjs$/.test(script.url));
    const modules = scripts.flatMap((script) => script.functions.filter((f) => f.ranges[0]!.count > 0 && /^(src|node_modules)\//.test(f.functionName)).map((f) => f.functionName));
    const bundles = [...new Set(scripts.filter((script) => script.functions.some((f) => f.ranges[0]!.count > 0)).map((script) => path.basename(script.url)))].sort();
    return { code: result.code, modules, bundles };
  }

  /** What a plain knock has no use for: yargs and the rest of the command line, yaml (the store is in the plain shape), the ssh config reader, SPA, the rules writers, serve, other commands, store editing, groups, ICMP. */
  const UNNEEDED = new RegExp(
    [
      '^node_modules/(yargs|yargs-parser|cliui|y18n|yaml|ssh-config)/',
      '^src/cli/(parser|argv|completion|usage-error|word-wrap)',
      '^src/(rules|serve|knockd|check)/',
      // The store's reader of an `spa:` key (spa/profile.ts, and the constants of spa/packet.ts) is part of reading any store.
      '^src/spa/(?!kind|profile|packet)',
      '^src/proxy/(?!watchdog-name)',
      '^src/commands/(?!knock|command|index|options)',
      '^src/store/(write|edit|store-yaml)',
      '^src/app/(writable-store|group)',
      '^src/ssh/(?!lazy-config|config-path|unreadable)',
      // (transport/libc.ts is evaluated for the constants tcp.ts names; koffi itself is not loaded, see above.)
      '^src/knock/(execute-many|transport/icmp)',
    ].join('|'),
  );

  test('knock PROFILE evaluates the knock command alone: no yargs, yaml, ssh config reader, SPA, rules writers, serve or store editing; ~/.ssh/config is not read', async () => {
    home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [1]\n');
    // A FIFO there would be refused (exit 2) had knock looked at it.
    mkdirSync(path.join(home.dir, '.ssh'), { mode: 0o700 });
    execFileSync('mkfifo', [path.join(home.dir, '.ssh', 'config')]);
    for (const args of [['-n', 'door'], ['door'], ['-q', 'door']]) {
      const { code, modules, bundles } = await evaluated(args);
      expect(code).toBe(0);
      expect(bundles).toEqual(['knock-fast.cjs']);
      // The check can fail: the modules are named.
      expect(modules).toContain('src/commands/knock.ts');
      expect(modules).toContain('src/knock/plan.ts');
      expect(modules.filter((m) => UNNEEDED.test(m))).toEqual([]);
    }
  });

  test('the names it checks are there to see: yargs, yaml, the ssh config reader and SPA, where a line needs them', async () => {
    home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [1]\n  "quoted":\n    host: 127.0.0.1\n    open: [2]\n');
    // -nq: grouped letters go to yargs; a quoted key to yaml; a name that is no profile to ~/.ssh/config.
    const { code, modules, bundles } = await evaluated(['-nq', 'door']);
    expect(code).toBe(0);
    expect(bundles).toEqual(['knock-core.cjs', 'knock-fast.cjs']);
    expect(modules.some((m) => m.startsWith('node_modules/yargs/'))).toBe(true);
    expect(modules.some((m) => m.startsWith('node_modules/yaml/'))).toBe(true);
    const ssh = await evaluated(['-n', 'elsewhere.invalid']);
    expect(ssh.code).not.toBe(0);
    expect(ssh.modules).toContain('src/ssh/config.ts');
    home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    spa:\n      key_base64: ' + Buffer.alloc(32, 1).toString('base64') + '\n      hmac_key_base64: ' + Buffer.alloc(32, 2).toString('base64') + '\n');
    const spa = await evaluated(['-n', 'door']);
    expect(spa.code).toBe(0);
    expect(spa.modules).toContain('src/spa/plan.ts');
    // A store not in the plain shape on the knock path: yaml from its own file.
    home.writeConfig('profiles:\n  "door": # quoted\n    host: 127.0.0.1\n    open: [1]\n');
    const quoted = await evaluated(['-n', 'door']);
    expect(quoted.code).toBe(0);
    expect(quoted.bundles).toEqual(['knock-fast.cjs', 'knock-yaml.cjs']);
    expect(quoted.modules.some((m) => m.startsWith('node_modules/yaml/'))).toBe(true);
  });

  test('knock proxy HOST PORT does not load yargs', async () => {
    // Nothing listens on port 1: the connect fails after the knock (exit 1), yargs never loaded.
    home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [1]\n');
    const { modules } = await evaluated(['proxy', '--connect-timeout', '0.2', 'door', '1']);
    expect(modules).toContain('src/commands/proxy.ts');
    expect(modules.filter((m) => /^node_modules\/(yargs|yargs-parser|cliui)\/|^src\/cli\/parser/.test(m))).toEqual([]);
  });

  test('knock --help reads no store: no store loading, ssh or yaml code', async () => {
    const { code, modules } = await evaluated(['--help']);
    expect(code).toBe(0);
    // The default command's module is loaded (its options are in the help), not the Context's store.
    expect(modules).toContain('src/commands/knock.ts');
    expect(modules.filter((m) => /^src\/(ssh\/(?!unreadable)|store\/(load|read-store)|app\/context)|node_modules\/yaml\//.test(m))).toEqual([]);
  });
});

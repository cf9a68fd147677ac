// Bundles the CLI into dist/ with esbuild for a fast start-up, which every ssh ProxyCommand
// pays: one minified CommonJS file (dist/knock-core.cjs), V8's code cache for it made here
// (dist/knock-core.cjs.v8cache), and dist/knock.mjs, which loads the two (see LOADER).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readmeToMan } from './man.mjs';

/** Small stand-ins for modules the bundle pulls in but knock never needs at their full cost. */
const STUBS = {
  assert: [
    'const check = (ok, message) => { if (!ok) throw new Error(message ?? "yargs: internal assertion failed"); };',
    'export const strictEqual = (a, b, message) => check(a === b, message);',
    'export const notStrictEqual = (a, b, message) => check(a !== b, message);',
  ].join('\n'),
};

const trimDependencies = {
  name: 'trim-dependencies',
  setup(b) {
    b.onLoad({ filter: /.*/, namespace: 'knock-unused' }, (args) => ({
      contents: STUBS[args.path],
      resolveDir: process.cwd(),
      loader: 'js',
    }));
    // yargs imports node:assert (itself costly to load) for two internal sanity checks.
    b.onResolve({ filter: /^assert$/ }, (args) =>
      args.importer.includes('/node_modules/yargs/') ? { path: 'assert', namespace: 'knock-unused' } : undefined,
    );
  },
};

/**
 * Builtins that most runs never use (crypto for a store edit's temporary name and the rules'
 * hashes, child_process for ping and ssh -V, dgram for serve) are required on first use, not
 * at start-up: each becomes a module whose functions (and default export) forward to the real
 * one, required the first time one is called.
 */
const LAZY_BUILTINS = ['crypto', 'child_process', 'dgram'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'knock-lazy' ? undefined : { path: args.path.replace(/^node:/, ''), namespace: 'knock-lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'knock-lazy' }, async (args) => {
      const real = (await import(`node:${args.path}`)).default;
      const names = Object.keys(real).filter((k) => typeof real[k] === 'function' && /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
      const contents = [
        'let real;',
        `const get = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        'export default new Proxy({}, { get: (_, key) => get()[key], has: (_, key) => key in get() });',
        ...names.map((k) => `export const ${k} = function (...a) { return new.target ? Reflect.construct(get().${k}, a) : get().${k}.apply(this, a); };`),
      ].join('\n');
      return { contents, loader: 'js', resolveDir: process.cwd() };
    });
  },
};

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { 'knock-core': 'src/main.ts' },
  outdir: dist,
  bundle: true,
  // CommonJS, so that dist/knock.mjs can compile it with vm.Script and a code cache (Node 20
  // has no code cache for ES modules).
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan on every start (measured by the bench's start-up section).
  minify: true,
  // Error subclasses and yargs rely on constructor and function names.
  keepNames: true,
  outExtension: { '.js': '.cjs' },
  plugins: [trimDependencies, lazyBuiltins],
  // ora is ESM-only and loaded with import() only when a spinner shows (see src/app/spinner.ts).
  // koffi is native (prebuilt) and loaded only for ICMP knocks and TTLs on TCP (src/knock/transport/libc.ts).
  external: ['ora', 'koffi'],
  // yargs' ESM entry reads import.meta.url (for its locale files).
  banner: { js: "var __knockImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__knockImportMetaUrl', __KNOCK_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
});

/**
 * import() cannot run inside a vm.Script without --experimental-vm-modules (or, from Node
 * 20.12 on only, a vm constant), so every import() in the bundle (ora on a TTY, node:dgram,
 * node:child_process) becomes a call to
 * a function the loader passes in: import() in dist/knock.mjs, resolving from dist/ as it
 * would unbundled.
 */
// The close watchdog of `knock proxy` (bin/knock-watchdog): a small entry of its own, without
// yargs or config loading, so that the child each ssh session leaves behind starts quickly.
await build({
  entryPoints: { watchdog: 'src/watchdog-main.ts' },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  outExtension: { '.js': '.mjs' },
  external: ['koffi'],
  legalComments: 'none',
  logLevel: 'warning',
});

const corePath = path.join(dist, 'knock-core.cjs');
writeFileSync(corePath, readFileSync(corePath, 'utf8').replace(/(?<![\w$.])import\(/g, '__knockImport('));

/**
 * dist/knock.mjs: compiles knock-core.cjs with V8's code cache when the cache fits this node
 * (V8 checks its version, flags and the source; otherwise it compiles as usual, a little
 * slower).
 */
const LOADER = `// Generated by scripts/build.mjs: loads knock-core.cjs with V8's code cache (faster start-up).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const VERSION = ${JSON.stringify(version)};
let core;

/** The bundle, compiled (with the cache when it fits this node) and run once, on first use. */
export function loadCore() {
  if (core) return core;
  // A deleted working directory (uv_cwd fails): yargs reads the cwd as it loads, so stand at /
  // first, where io.ts resolves relative paths then too.
  try {
    process.cwd();
  } catch {
    process.chdir('/');
  }
  const file = fileURLToPath(new URL('./knock-core.cjs', import.meta.url));
  let cachedData;
  try {
    cachedData = readFileSync(file + '.v8cache');
  } catch {
    // no cache: compile as usual
  }
  const wrapped = '(function (exports, require, module, __filename, __dirname, __knockImport) {' + readFileSync(file, 'utf8') + '\\n})';
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} };
  const load = (specifier) => import(specifier);
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), load);
  core = { script, main: module.exports.main };
  return core;
}

/**
 * \`knock --version\` (or -V) alone prints what yargs would print (the version and a newline)
 * without evaluating the bundle; every other line goes to the CLI.
 */
export function main(argv) {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(VERSION + '\\n');
    return Promise.resolve(0);
  }
  return loadCore().main(argv);
}
`;
writeFileSync(path.join(dist, 'knock.mjs'), LOADER);

// knock(1) from the README's Reference section (package.json "man" installs it).
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const date = new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString().slice(0, 10);
writeFileSync(path.join(dist, 'knock.1'), readmeToMan(readme, { version, date }));

/**
 * The code cache holds what V8 compiled, so make it after a run that touches the common path:
 * a --dry-run of a loopback profile (parse the command line, find and read the store, plan;
 * nothing is sent), in a child process with this node and no extra flags.
 */
const home = mkdtempSync(path.join(os.tmpdir(), 'knock-build-'));
try {
  mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
  writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), 'profiles:\n  lo:\n    host: 127.0.0.1\n    open: [7000, "8000:udp", 9000]\n');
  const maker = [
    `const { loadCore } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'knock.mjs')).href)});`,
    'const { main, script } = loadCore();',
    "await main(['--dry-run', 'lo']);",
    "await main(['--dry-run', '127.0.0.1', '7000']);",
    `(await import('node:fs')).writeFileSync(${JSON.stringify(path.join(dist, 'knock-core.cjs.v8cache'))}, script.createCachedData());`,
  ].join('\n');
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  delete env.KNOCK_CONFIG;
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, ['--input-type=module', '-e', maker], { cwd: home, env, stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  // Without the cache knock works the same, only starts slower: warn, don't fail the install.
  console.warn(`build: no V8 code cache for dist/knock-core.cjs (knock will start slower): ${String(error.stderr || error.message).trim()}`);
} finally {
  rmSync(home, { recursive: true, force: true });
}

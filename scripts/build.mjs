// Bundles the CLI into dist/ with esbuild for a fast start-up, which every knock and every ssh
// ProxyCommand pays: minified CommonJS files in which each command's module is evaluated only
// when a run needs it: dist/knock-fast.cjs for the plain lines (the knock path), dist/knock-core.cjs
// for every line, dist/knock-yaml.cjs (the yaml package, for the knock path's rare need of it);
// V8's code cache for the first two, made here (*.v8cache); and dist/knock.cjs, which loads them
// (see LOADER).
// bin/ is CommonJS (bin/package.json): node starts a CommonJS entry sooner than an ES module.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeToMan } from './man.mjs';

/**
 * yargs' platform layer for the bundle (in place of yargs/lib/platform-shims/esm.mjs): the same,
 * except that it reads no file on its own. The original looks for a package.json upwards from
 * the working directory at every yargs() (only for a version knock gives yargs itself: a FIFO
 * named package.json there would hang `knock proxy`, started by ssh wherever the user stands),
 * and y18n looked for its English strings outside the package; here they are yargs' own
 * English, as knock says `.locale('en')`. process.stdout is touched only if yargs asks for the
 * terminal's width, and a deleted working directory does not throw.
 */
const YARGS_PLATFORM = `
import { format, inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import cliui from 'cliui';
import Parser from 'yargs-parser';
import { getProcessArgvBin } from '../../build/lib/utils/process-argv.js';
import { YError } from '../../build/lib/yerror.js';

const check = (ok, message) => { if (!ok) throw new YError(message ?? 'yargs: internal assertion failed'); };
const unsupported = () => { throw new YError('require and command directories are not supported'); };
const strings = Object.create(null);
let locale = 'en';
const __ = (str, ...args) => {
  if (typeof str !== 'string') {
    // A tagged template (y18n's rule): each value that is not undefined becomes a %s.
    return __(str.map((part, i) => part + (args[i] !== undefined ? '%s' : '')).join(''), ...args);
  }
  if (typeof args.at(-1) === 'function') args.pop()();
  return format(strings[str] || str, ...args);
};
const __n = (singular, plural, quantity, ...args) => {
  if (typeof args.at(-1) === 'function') args.pop()();
  const entry = strings[singular];
  const str = entry ? entry[quantity === 1 ? 'one' : 'other'] : quantity === 1 ? singular : plural;
  return format(str, ...(str.includes('%d') ? [quantity] : []), ...args);
};

export default {
  assert: {
    notStrictEqual: (a, b, message) => check(a !== b, message),
    strictEqual: (a, b, message) => check(a === b, message),
  },
  cliui,
  // No package.json is looked for: yargs' version is knock's, given to .version().
  findUp: () => undefined,
  getEnv: (key) => process.env[key],
  inspect,
  getCallerFile: unsupported,
  getProcessArgvBin,
  mainFilename: '',
  Parser,
  path: { basename, dirname, extname, relative, resolve },
  process: {
    argv: () => process.argv,
    cwd: () => { try { return process.cwd(); } catch { return '/'; } },
    emitWarning: (warning, type) => process.emitWarning(warning, type),
    execPath: () => process.execPath,
    exit: process.exit,
    nextTick: process.nextTick,
    get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; },
  },
  readFileSync,
  require: unsupported,
  requireDirectory: unsupported,
  stringWidth: (str) => [...str].length,
  y18n: {
    __,
    __n,
    setLocale: (l) => { locale = l; },
    getLocale: () => locale,
    updateLocale: (obj) => Object.assign(strings, obj),
    locale,
  },
};
`;

const yargsPlatform = {
  name: 'yargs-platform',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => ({
      contents: YARGS_PLATFORM,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
    // cliui's ES build wraps help mid-word (its own stand-in for wrap-ansi): ours wraps on words.
    b.onResolve({ filter: /string-utils\.js$/ }, (args) =>
      args.importer.includes('/node_modules/cliui/') ? { path: fileURLToPath(new URL('../src/cli/word-wrap.ts', import.meta.url)) } : undefined,
    );
  },
};

/**
 * Builtins that most runs never use (crypto for a store edit's temporary name and the rules'
 * hashes, child_process for ping and ssh -V, dgram for serve, dns/promises where the host is a
 * name, not an address, net and its streams where no libuv handle does (shared/handles.ts), os
 * for a source address, a zone, the home, user or host name) are required on first use, not at
 * start-up: each becomes a module
 * whose functions (and default export) forward to the real one, required the first time one
 * is called.
 */
const LAZY_BUILTINS = ['crypto', 'child_process', 'dgram', 'dns/promises', 'net', 'os'];
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

/**
 * `node scripts/build.mjs --readable DIR`: the same bundle into DIR with its identifiers kept, so
 * that each module's lazy initialiser keeps its module's name (test/e2e/startup-modules.test.ts
 * reads from V8's coverage which modules a run evaluated). dist/ is always minified.
 */
const readableAt = process.argv.indexOf('--readable');
const readable = readableAt >= 0;
const dist = readable ? path.resolve(process.argv[readableAt + 1] ?? 'dist-readable') + path.sep : fileURLToPath(new URL('../dist/', import.meta.url));
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** What both CLI bundles share. */
const cliBundle = {
  outdir: dist,
  bundle: true,
  // CommonJS, so that dist/knock.cjs can compile it with vm.Script and a code cache (Node 20
  // has no code cache for ES modules).
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan on every start (measured by the bench's start-up section).
  minifyWhitespace: true,
  minifySyntax: !readable,
  minifyIdentifiers: !readable,
  // Error subclasses and yargs rely on constructor and function names.
  keepNames: true,
  outExtension: { '.js': '.cjs' },
  // ora is ESM-only and loaded with import() only when a spinner shows (see src/app/spinner.ts).
  // koffi is native (prebuilt) and loaded only for ICMP knocks and TTLs on TCP (src/knock/transport/libc.ts).
  external: ['ora', 'koffi'],
  // import.meta.url (where the completion scripts are, beside dist/) as CommonJS has it, made
  // when first read.
  banner: { js: "var __knockImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  define: { 'import.meta.url': '__knockImportMeta.url', __KNOCK_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
  // Non-ASCII escaped (\u...): the loader reads the bundles as latin1.
  charset: 'ascii',
};

/**
 * The knock path's bundle (dist/knock-fast.cjs) holds what the plain lines run (src/fast-main.ts):
 * of the command table's modules only the knock and proxy commands, and not yargs (the parser
 * that cli.ts loads for any other line). fast-main.ts takes no other line, so none of these is
 * ever asked for there; were one, the run would end with an internal error, not run a stand-in.
 */
const FAST_COMMANDS = ['./knock.js', './proxy.js'];
const knockPathOnly = {
  name: 'knock-path-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const from = path.relative(process.cwd(), args.importer).split(path.sep).join('/');
      const left = (from === 'src/commands/index.ts' && !FAST_COMMANDS.includes(args.path)) || (from === 'src/cli/cli.ts' && args.path === './parser.js');
      return left ? { path: `${from} ${args.path}`, namespace: 'knock-not-fast' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'knock-not-fast' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`internal error: ${args.path} is not in dist/knock-fast.cjs`)});`,
      loader: 'js',
    }));
  },
};

/**
 * The yaml package, which the knock path needs only for a store not in the plain shape
 * (src/store/load.ts), is left out of dist/knock-fast.cjs, a third of its size, and required
 * from dist/knock-yaml.cjs when needed (the whole CLI keeps its own copy).
 */
const yamlApart = {
  name: 'yaml-apart',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: './knock-yaml.cjs', external: true }));
  },
};

rmSync(dist, { recursive: true, force: true });
await build({ ...cliBundle, entryPoints: { 'knock-core': 'src/main.ts' }, plugins: [yargsPlatform, lazyBuiltins] });
await build({ ...cliBundle, entryPoints: { 'knock-fast': 'src/fast-main.ts' }, plugins: [knockPathOnly, yamlApart, lazyBuiltins] });
await build({ ...cliBundle, entryPoints: { 'knock-yaml': 'node_modules/yaml/dist/index.js' }, banner: {}, plugins: [] });

// The close watchdog of `knock proxy` (bin/knock-watchdog): a small entry of its own, without
// yargs or config loading, so that the child each ssh session leaves behind starts quickly.
await build({
  entryPoints: { watchdog: 'src/watchdog-main.ts' },
  outdir: dist,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  outExtension: { '.js': '.cjs' },
  plugins: [lazyBuiltins],
  external: ['koffi'],
  legalComments: 'none',
  logLevel: 'warning',
});

/**
 * import() cannot run inside a vm.Script without --experimental-vm-modules (or, from Node
 * 20.12 on only, a vm constant), so every import() left in the bundle (ora on a TTY, koffi)
 * becomes a call to a function the loader passes in: import() in dist/knock.cjs, resolving
 * from dist/ as it would unbundled. (esbuild turns the import() of a bundled module into a
 * call of its lazy initialiser, so none of those is left.)
 */
for (const name of ['knock-core.cjs', 'knock-fast.cjs']) {
  const file = path.join(dist, name);
  const text = readFileSync(file, 'utf8');
  // The loader reads the bundles as latin1, which is their text only while it is ASCII.
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`${name} is not ASCII: the loader would misread it`);
  writeFileSync(file, text.replace(/(?<![\w$.])import\(/g, '__knockImport('));
}

/**
 * dist/knock.cjs: compiles knock-fast.cjs, and knock-core.cjs where that does not take the line,
 * each with V8's code cache when the cache fits this node (V8 checks its version, flags and the
 * source; otherwise it compiles as usual, a little slower).
 */
const LOADER = `// Generated by scripts/build.mjs: loads knock-fast.cjs or knock-core.cjs with V8's code cache (faster start-up).
'use strict';
const VERSION = ${JSON.stringify(version)};
const bundles = {};

/** A bundle, compiled (with its cache when it fits this node) and run once, on first use. */
function load(name) {
  if (bundles[name]) return bundles[name];
  // A deleted working directory (uv_cwd fails): stand at / first, where io.ts resolves
  // relative paths then too.
  try {
    process.cwd();
  } catch {
    process.chdir('/');
  }
  const { readFileSync } = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const file = path.join(__dirname, name + '.cjs');
  let cachedData;
  try {
    cachedData = readFileSync(file + '.v8cache');
  } catch {
    // no cache: compile as usual
  }
  // esbuild writes ASCII only (its default charset): read as latin1, the text is the same, made sooner.
  const wrapped = '(function (exports, require, module, __filename, __dirname, __knockImport) {' + readFileSync(file, 'latin1') + '\\n})';
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const bundle = { exports: {} };
  // This file's require and import() resolve from dist/, as the bundle's own would.
  script.runInThisContext().call(bundle.exports, bundle.exports, require, bundle, file, __dirname, (specifier) => import(specifier));
  bundles[name] = { script, main: bundle.exports.main };
  return bundles[name];
}

/** The whole CLI: every line. */
const loadCore = () => load('knock-core');
/** The knock path: the plain lines only (its main returns undefined for any other). */
const loadFast = () => load('knock-fast');

/**
 * \`knock --version\` (or -V) alone prints what yargs would print (the version and a newline)
 * without evaluating the bundle, written to fd 1 at once (process.stdout would load the
 * stream modules); every other line goes to the CLI.
 */
function main(argv) {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return Promise.resolve(printVersion());
  return loadFast().main(argv) ?? loadCore().main(argv);
}

/** Exit code as the CLI's: 0, also when the reader has gone (EPIPE); 1 with one line when stdout cannot be written. */
function printVersion() {
  const fs = require('node:fs');
  try {
    fs.writeSync(1, VERSION + '\\n');
  } catch (error) {
    if (error.code === 'EAGAIN') process.stdout.write(VERSION + '\\n');
    else if (error.code !== 'EPIPE') {
      const detail = String(error.message).includes(',') ? \` (\${String(error.message).split(',')[0].replace(/^[A-Z]+: /, '')})\` : '';
      try {
        fs.writeSync(2, \`knock: cannot write the output: \${error.code}\${detail}\\n\`);
      } catch {
        // stderr cannot be written either: the exit code says it
      }
      return 1;
    }
  }
  return 0;
}

module.exports = { main, loadCore, loadFast };
`;
writeFileSync(path.join(dist, 'knock.cjs'), LOADER);

// knock(1) from the README's Reference section (package.json "man" installs it).
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const date = new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString().slice(0, 10);
writeFileSync(path.join(dist, 'knock.1'), readmeToMan(readme, { version, date }));

/**
 * A code cache holds what V8 compiled, so each is made after runs that touch its common path:
 * dry runs of a loopback profile (read the command line, find and read the store, plan; nothing
 * is sent) and, for the knock path, one SYN to a closed loopback port, in a child process with
 * this node and no extra flags.
 */
const home = mkdtempSync(path.join(os.tmpdir(), 'knock-build-'));
try {
  mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
  writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), 'profiles:\n  lo:\n    host: 127.0.0.1\n    open: [7000, "8000:udp", 9000]\n');
  const cache = (name) => JSON.stringify(path.join(dist, `${name}.cjs.v8cache`));
  const maker = [
    `const { loadCore, loadFast } = require(${JSON.stringify(path.join(dist, 'knock.cjs'))});`,
    'const fs = require("node:fs");',
    '(async () => {',
    '  const fast = loadFast();',
    "  await fast.main(['--dry-run', 'lo']);",
    "  await fast.main(['--dry-run', '127.0.0.1', '7000']);",
    // And one real knock: a SYN to a loopback port nothing listens on (bound and let go just
    // before), answered by the kernel's RST; the lock directory is in this temporary home.
    "  const net = require('node:net');",
    "  const server = net.createServer();",
    "  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));",
    '  const { port } = server.address();',
    '  await new Promise((resolve) => server.close(resolve));',
    "  await fast.main(['-q', '127.0.0.1', String(port)]);",
    `  fs.writeFileSync(${cache('knock-fast')}, fast.script.createCachedData());`,
    // The whole CLI runs the lines yargs reads.
    '  const core = loadCore();',
    "  await core.main(['show', 'lo']);",
    "  await core.main(['--dry-run', '--', 'lo']);",
    `  fs.writeFileSync(${cache('knock-core')}, core.script.createCachedData());`,
    '})();',
  ].join('\n');
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_RUNTIME_DIR: home, TMPDIR: home };
  delete env.KNOCK_CONFIG;
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, ['-e', maker], { cwd: home, env, stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  // Without the cache knock works the same, only starts slower: warn, don't fail the install.
  console.warn(`build: no V8 code cache for dist/knock-fast.cjs and knock-core.cjs (knock will start slower): ${String(error.stderr || error.message).trim()}`);
} finally {
  rmSync(home, { recursive: true, force: true });
}

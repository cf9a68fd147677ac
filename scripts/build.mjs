// Bundles the CLI into dist/ with esbuild: one minified file for the common path (fast
// start-up, which every ssh ProxyCommand pays), with ora split into a chunk loaded only on a TTY.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

/**
 * cosmiconfig's default loaders (JS via import-fresh, JSON via parse-json, YAML via js-yaml)
 * serve only its "meta config" lookup (package.json, .config/config.yaml): knock passes its
 * own loader for every store. Their code would add parse time to every start, so the bundle
 * gets small stand-ins: JSON.parse, the `yaml` package knock already bundles, and no JS
 * configs. Its loaders module also requires `crypto` (for .ts configs) at load: made lazy.
 */
const STUBS = {
  'import-fresh': `module.exports = (file) => { throw new Error(file + ': knock reads YAML or JSON only'); };`,
  'parse-json': `module.exports = (text) => JSON.parse(text);`,
  'js-yaml': `import { parse } from 'yaml'; export const load = (text) => parse(text);`,
  assert: [
    'const check = (ok, message) => { if (!ok) throw new Error(message ?? "yargs: internal assertion failed"); };',
    'export const strictEqual = (a, b, message) => check(a === b, message);',
    'export const notStrictEqual = (a, b, message) => check(a !== b, message);',
  ].join('\n'),
};

const trimDependencies = {
  name: 'trim-dependencies',
  setup(b) {
    const unused = /^(import-fresh|parse-json|js-yaml)$/;
    b.onResolve({ filter: unused }, (args) =>
      args.importer.includes('/node_modules/cosmiconfig/') ? { path: args.path, namespace: 'knock-unused' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'knock-unused' }, (args) => ({
      contents: STUBS[args.path],
      resolveDir: process.cwd(),
      loader: 'js',
    }));
    // yargs imports node:assert (itself costly to load) for two internal sanity checks.
    b.onResolve({ filter: /^assert$/ }, (args) =>
      args.importer.includes('/node_modules/yargs/') ? { path: 'assert', namespace: 'knock-unused' } : undefined,
    );
    b.onResolve({ filter: /^crypto$/ }, (args) =>
      args.importer.includes('/node_modules/cosmiconfig/') ? { path: 'crypto', namespace: 'knock-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'knock-lazy' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => require('node:${args.path}')[key] });`,
      loader: 'js',
    }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { knock: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan on every start (measured by the bench's start-up section).
  minify: true,
  // Error subclasses and yargs rely on constructor and function names.
  keepNames: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [trimDependencies],
  // cosmiconfig loads TypeScript only for .ts configs, which knock does not search for.
  external: ['typescript'],
  // Bundled CommonJS (cosmiconfig, yargs helpers) calls require() for Node built-ins.
  banner: {
    js: "import { createRequire as __knockCreateRequire } from 'node:module'; const require = __knockCreateRequire(import.meta.url);",
  },
  define: { __KNOCK_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version) },
  legalComments: 'none',
  logLevel: 'warning',
});

// Bundles the CLI into dist/ with esbuild: one file for the common path (fast start-up,
// which every ssh ProxyCommand pays), with ora split into a chunk loaded only on a TTY.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  // watchdog: the close watchdog of `knock proxy`, a small entry of its own (bin/knock-watchdog).
  entryPoints: { knock: 'src/main.ts', watchdog: 'src/watchdog-main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
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

// npm run bench: runs every bench/sections/*.mjs in name order; each prints its own numbers.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ctx = { root, knock: path.join(root, 'bin', 'knock') };
const only = process.argv.slice(2);

console.log(`knock bench: node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`NODE_EXTRA_CA_CERTS is ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'not set'} (it slows every node start)\n`);

const sectionsDir = path.join(root, 'bench', 'sections');
const sections = readdirSync(sectionsDir)
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const started = Date.now();
for (const file of sections) {
  const t0 = Date.now();
  console.log(`== ${file}`);
  try {
    const { default: section } = await import(pathToFileURL(path.join(sectionsDir, file)).href);
    await section(ctx);
  } catch (error) {
    console.log(`   FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  }
  console.log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
console.log(`bench done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// The entry of dist/knock-fast.cjs, the bundle every knock and every ssh ProxyCommand loads: the
// plain lines that cli/fast-path.ts reads, with the knock and proxy commands and what they use, and
// nothing of yargs, the other commands or the rules writers (scripts/build.mjs leaves those out).
// Any other line is not taken (undefined): dist/knock.cjs then runs it with the whole CLI.
import { run } from './cli/cli.js';
import { fastLine } from './cli/fast-path.js';
import { processIo } from './shared/io.js';

export function main(argv: string[]): Promise<number> | undefined {
  return fastLine(argv) ? run(argv, processIo()) : undefined;
}

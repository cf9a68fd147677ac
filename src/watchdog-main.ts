// The entry bin/knock-watchdog calls: the close watchdog of `knock proxy` without the CLI
// around it (no yargs, no config loading), so that it starts in a fraction of the time.
import { KnockError } from './shared/errors.js';
import { processIo } from './shared/io.js';
import { runWatchdog } from './proxy/watchdog-run.js';

export async function main(argv: string[]): Promise<number> {
  const io = processIo();
  const verbose = argv.includes('-v');
  try {
    return await runWatchdog({ stdin: io.stdin, ...(verbose ? { debug: (line: string) => io.stderr.write(line + '\n') } : {}) });
  } catch (error) {
    io.stderr.write(`knock: ${error instanceof KnockError ? error.message : `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`);
    return error instanceof KnockError ? error.exitCode : 70;
  }
}

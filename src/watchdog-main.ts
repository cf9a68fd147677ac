// The entry bin/knock-watchdog calls: the close watchdog of `knock proxy` without the CLI
// around it (no yargs, no config loading), so that it starts in a fraction of the time.
import { KnockError } from './shared/errors.js';
import { processIo } from './shared/io.js';
import { runWatchdog } from './proxy/watchdog-run.js';
import { systemSequenceLock } from './knock/sequence-lock.js';
import { systemTransport } from './knock/transport/system.js';

export async function main(argv: string[]): Promise<number> {
  // The watchdog's own process, read once here as bin/knock's entry reads it (shared/io.ts).
  const io = processIo();
  const { env, platform, uid, tmpdir, pid } = io;
  const verbose = argv.includes('-v');
  try {
    return await runWatchdog({
      stdin: io.stdin,
      execute: { transport: systemTransport({ env, platform, pid }), lock: systemSequenceLock({ env, platform, uid, tmpdir, pid }) },
      ...(verbose ? { debug: (line: string) => io.stderr.write(line + '\n') } : {}),
    });
  } catch (error) {
    io.stderr.write(`knock: ${error instanceof KnockError ? error.message : `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`);
    return error instanceof KnockError ? error.exitCode : 70;
  }
}

// The command line: the plain lines (a knock, a ProxyCommand) are read by the fast path without
// yargs, every other line by yargs (parser.ts, loaded only then); the chosen command runs after.
import type { Context, Services } from '../app/context.js';
import { fastLine } from './fast-path.js';
import type { Chosen } from './parser.js';
import { reportError } from './report-error.js';
import type { Io } from '../shared/io.js';

/** Runs the command line and returns the exit code. Never exits; never throws for a user's mistake. */
export async function run(argv: string[], processIo: Io, services: Services = {}): Promise<number> {
  const { io, stdoutFailure } = guardStreams(processIo);
  try {
    let chosen: Chosen | undefined;
    const fast = fastLine(argv);
    if (fast) {
      const command = await fast.entry.load();
      chosen = { run: (ctx) => command.run(fast.args, ctx), args: fast.args };
    } else {
      const parsed = await (await import('./parser.js')).parseLine(argv, io, services);
      if (parsed.code !== undefined) return parsed.code;
      chosen = parsed.chosen;
    }
    if (!chosen) return 0;
    const code = await chosen.run(new (await context())(io, chosen.args, services));
    // A write that failed (stdout on a full disk) is reported once the stream has said so.
    await new Promise((resolve) => setImmediate(resolve));
    const failed = stdoutFailure();
    return failed ? reportError(failed, io) : code;
  } catch (error) {
    return reportError(stdoutFailure() ?? error, io);
  }
}

/** The Context class, loaded once a command runs (--help and errors do without the store's code). */
async function context(): Promise<typeof Context> {
  return (await import('../app/context.js')).Context;
}

/** The first write error each output stream reported (not EPIPE: a reader that left is fine). */
const writeFailures = new WeakMap<object, Error>();

/**
 * `knock list | head -1`: a reader that went away is not an error of ours. Unhandled, EPIPE
 * would end the process with a stack trace; the knocks are sent and the exit code stands.
 * Each stream is guarded when first used, so that a run that never writes to one (stderr,
 * mostly; stdout of a proxy that hands its connection to ssh) never makes it. Gives the io to
 * use and stdout's write failure (a full disk), if any.
 */
function guardStreams(io: Io): { io: Io; stdoutFailure: () => Error | undefined } {
  const used = new Set<string>();
  const guard = (key: 'stdout' | 'stderr') => {
    const stream = io[key];
    const events = stream as Partial<NodeJS.EventEmitter>;
    if (!used.has(key) && events.listenerCount?.('error') === 0) {
      events.on?.('error', (error: NodeJS.ErrnoException) => {
        // Recorded, never thrown: stdout's failure (a full disk) is reported once the command is
        // done; stderr that cannot be written (2>/dev/full) has nowhere to report to, so the exit
        // code stands and a usage error stays 2.
        if (error.code !== 'EPIPE' && !writeFailures.has(stream)) writeFailures.set(stream, error);
      });
    }
    used.add(key);
    return stream;
  };
  const view = {} as Io;
  for (const key of Object.keys(io) as (keyof Io)[]) {
    const get = key === 'stdout' || key === 'stderr' ? () => guard(key) : () => io[key];
    Object.defineProperty(view, key, { enumerable: true, get });
  }
  return { io: view, stdoutFailure: () => (used.has('stdout') ? writeFailures.get(io.stdout) : undefined) };
}

// The command line: yargs declares and parses; the chosen command runs after parsing.
import yargs from 'yargs';
import { commands } from '../commands/index.js';
import { COMPLETION_FLAG, commandNames, completeWords, describeCandidates, optionFlags } from './completion.js';
import { flagsByCommand, needsNormalizing, normalizeArgv, optionTable } from './argv.js';
import type { Command } from '../commands/command.js';
import { Context, type GlobalArgs, type Services } from '../app/context.js';
import { KnockError, UsageError } from '../shared/errors.js';
import { reportError, usageErrorOf } from './report-error.js';
import type { Io } from '../shared/io.js';

import { VERSION } from '../shared/version.js';

export { VERSION };

const EXAMPLES: [string, string][] = [
  ['knock myserver', "fire myserver's open sequence"],
  ['knock close myserver', 'fire its close sequence'],
  ['knock -d 50 -v host.example 7000 8000:udp 9000 icmp:64', 'ad-hoc knocks, 50 ms apart (knock(1) style)'],
  ['knock --dry-run myserver', 'show the address and each knock with its offset; send nothing'],
  ['knock list --json', 'the profiles as JSON'],
];

export function buildParser(onCommand: (run: (ctx: Context) => Promise<number>, args: GlobalArgs) => void, columns = 100) {
  let parser = yargs()
    .scriptName('knock')
    // Our messages are English; yargs' own would follow $LANG and break the translation below.
    .locale('en')
    // Words after `--` stay strings ("08" is not 8): the default command takes them as knocks.
    .parserConfiguration({ 'parse-positional-numbers': false })
    .usage('$0 [command] [options]\n\nPort knocking: exactly one packet per knock, in order, on time.')
    .option('config', { type: 'string', describe: 'the profile store (default: $KNOCK_CONFIG, else $XDG_CONFIG_HOME/knock/config.yaml; never the working directory)', requiresArg: true, global: true })
    .option('json', { type: 'boolean', describe: 'results as JSON on stdout', global: true })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print nothing but errors', global: true })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'more detail: each knock as it leaves, sequences in list and lint', global: true })
    // knock(1)'s spellings too: -4/--ipv4, -6/--ipv6. Both: the IPv4 and the IPv6 address.
    .option('4', { alias: 'ipv4', type: 'boolean', describe: 'IPv4 only (with -6: both, IPv4 first)', global: true })
    .option('6', { alias: 'ipv6', type: 'boolean', describe: 'IPv6 only (with -4: both, IPv4 first)', global: true })
    .group(['config', 'json', 'quiet', 'verbose', '4', '6', 'help', 'version'], 'Global options:');
  for (const command of commands) {
    parser = parser.command(
      command.command as string | string[],
      command.describe as string,
      (y) => (command.examples ?? []).reduce((b, [line, text]) => b.example(line, text), command.builder ? command.builder(y) : y),
      (argv) => {
        if (!command.takesRest) refuseRest(argv._, command);
        refuseRepeated(argv);
        onCommand((ctx) => command.run(argv as never, ctx), argv as GlobalArgs);
      },
    );
  }
  for (const [cmd, text] of EXAMPLES) parser = parser.example(cmd, text);
  return parser
    .strict()
    .help()
    .alias('help', 'h')
    // knock(1) says -V for its version.
    .version('version', 'show the version', VERSION)
    .alias('version', 'V')
    .epilog('Exit status: 0 sent, 1 runtime failure (resolve, send, connect), 2 usage or configuration error.\nEach command has its own help (knock add --help); the whole manual: man knock.')
    .wrap(Math.min(120, columns))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** Runs the command line and returns the exit code. Never exits; never throws for a user's mistake. */
export async function run(argv: string[], io: Io, services: Services = {}): Promise<number> {
  ignoreClosedPipes(io);
  let chosen: { run: (ctx: Context) => Promise<number>; args: GlobalArgs } | undefined;
  let output = '';
  try {
    const flagAt = argv.indexOf(COMPLETION_FLAG);
    if (flagAt >= 0) {
      const globals = parseGlobals(argv.slice(flagAt + 1));
      // Quiet: a warning about the store would land in the middle of the user's prompt.
      const ctx = new Context(io, { ...globals, quiet: true }, services);
      const globalParser = buildParser(() => {}) as never;
      const input = { words: argv.slice(flagAt + 1), commands, globalFlags: optionFlags(globalParser), store: () => ctx.store() };
      const candidates = await completeWords(input);
      // The zsh and fish scripts say so: those shells show a description beside each candidate.
      const shell = io.env.SHELL === 'zsh' || io.env.SHELL === 'fish' ? io.env.SHELL : undefined;
      const lines = shell ? await describeCandidates({ ...input, globalParser }, candidates, shell) : candidates;
      io.stdout.write(lines.map((c) => c + '\n').join(''));
      return 0;
    }
    if (needsNormalizing(argv)) argv = normalizeArgv(argv, commands, optionTable(commands, buildParser(() => {}) as never));
    try {
      buildParser(
        (runCommand, args) => {
          chosen = { run: runCommand, args };
        },
        (io.stdout as { columns?: number }).columns || 120,
      ).parse(argv, {}, (_error, _argv, text) => {
        output = text;
      });
    } catch (error) {
      // yargs' own complaints, and ours from a coerce (which yargs wraps in a YError).
      const usage = error instanceof KnockError || (error instanceof Error && error.name === 'YError');
      const words = argv;
      throw usage ? usageErrorOf((error as Error).message, words, () => flagsByCommand(commands, buildParser(() => {}) as never)) : error;
    }
    if (output) {
      // yargs marks a variadic positional `[default: []]`: noise, since it is required.
      output = output.replace(/(\s+)(\[.*?) \[default: \[\]\]$/gm, (_m, space: string, rest: string) => `${space}${' '.repeat(14)}${rest}`);
      io.stdout.write(output.endsWith('\n') ? output : output + '\n');
    }
    if (!chosen) return 0;
    const code = await chosen.run(new Context(io, chosen.args, services));
    // A write that failed (stdout on a full disk) is reported once the stream has said so.
    await new Promise((resolve) => setImmediate(resolve));
    const failed = writeFailures.get(io.stdout as object);
    return failed ? reportError(failed, io) : code;
  } catch (error) {
    return reportError(writeFailures.get(io.stdout as object) ?? error, io);
  }
}

/** The first write error each output stream reported (not EPIPE: a reader that left is fine). */
const writeFailures = new WeakMap<object, Error>();

/**
 * `knock list | head -1`: a reader that went away is not an error of ours. Unhandled, EPIPE
 * would end the process with a stack trace; the knocks are sent and the exit code stands.
 */
function ignoreClosedPipes(io: Io): void {
  for (const stream of [io.stdout, io.stderr] as Partial<NodeJS.EventEmitter>[]) {
    if (stream.listenerCount?.('error') === 0) {
      stream.on?.('error', (error: NodeJS.ErrnoException) => {
        // Recorded, never thrown: stdout's failure (a full disk) is reported once the command is
        // done; stderr that cannot be written (2>/dev/full) has nowhere to report to, so the exit
        // code stands and a usage error stays 2.
        if (error.code !== 'EPIPE' && !writeFailures.has(stream)) writeFailures.set(stream, error);
      });
    }
  }
}

/** `--config A --config B`: yargs makes a list of it; which store was meant is not ours to guess. */
function refuseRepeated(argv: Record<string, unknown>): void {
  if (Array.isArray(argv['config'])) throw new UsageError('option --config given more than once');
}

/** Words after `--` that a command has no use for: refused, never dropped. */
function refuseRest(rest: readonly unknown[], command: Command): void {
  const own = commandNames(command).length > 0 ? 1 : 0;
  const extra = rest.slice(own);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${String(extra[0])}' (see knock ${commandNames(command)[0]} --help)`);
}

/** The global options among half-typed words (--config FILE matters: it picks the store). */
function parseGlobals(words: string[]): GlobalArgs {
  const at = words.lastIndexOf('--config');
  const inline = words.findLast((w) => w.startsWith('--config='));
  const config = at >= 0 && at + 1 < words.length - 1 ? words[at + 1] : inline?.slice('--config='.length);
  return config === undefined ? {} : { config };
}

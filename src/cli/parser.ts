// The command line as yargs reads it (every line the fast path does not take, see cli.ts):
// yargs declares and parses; the chosen command runs after parsing. yargs is built once per
// run, and only the modules of the commands the line can name are loaded.
import yargs, { type Argv } from 'yargs';
import { commands, defaultEntry, loadCommands, type CommandEntry } from '../commands/index.js';
import { commandNames, type Command } from '../commands/command.js';
import { COMPLETION_FLAG, completeWords, describeCandidates, optionFlags } from './completion.js';
import { flagsByCommand, needsNormalizing, normalizeArgv, optionTable, settleParsed } from './argv.js';
import type { Context, GlobalArgs, Services } from '../app/context.js';
import { KnockError, UsageError } from '../shared/errors.js';
import { usageErrorOf } from './usage-error.js';
import type { Io } from '../shared/io.js';
import { VERSION } from '../shared/version.js';

const EXAMPLES: [string, string][] = [
  ['knock myserver', "fire myserver's open sequence"],
  ['knock close myserver', 'fire its close sequence'],
  ['knock -d 50 -v host.example 7000 8000:udp 9000 icmp:64', 'ad-hoc knocks, 50 ms apart (knock(1) style)'],
  ['knock --dry-run myserver', 'show the address and each knock with its offset; send nothing'],
  ['knock list --json', 'the profiles as JSON'],
];

/** The options every command has, and --help and --version: the whole parser, or the base of a table of flags. */
export function globalOptions(parser: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return (
    parser
      .option('config', { type: 'string', describe: 'the profile store (default: $KNOCK_CONFIG, else $XDG_CONFIG_HOME/knock/config.yaml; never the working directory)', requiresArg: true, global: true })
      .option('json', { type: 'boolean', describe: 'results as JSON on stdout', global: true })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'print nothing but errors', global: true })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'more detail: each knock as it leaves, sequences in list and lint', global: true })
      // knock(1)'s spellings too: -4/--ipv4, -6/--ipv6. Both: the IPv4 and the IPv6 address.
      .option('4', { alias: 'ipv4', type: 'boolean', describe: 'IPv4 only (with -6: both, IPv4 first)', global: true })
      .option('6', { alias: 'ipv6', type: 'boolean', describe: 'IPv6 only (with -4: both, IPv4 first)', global: true })
      .group(['config', 'json', 'quiet', 'verbose', '4', '6', 'help', 'version'], 'Global options:')
      .help()
      .alias('help', 'h')
      // knock(1) says -V for its version.
      .version('version', 'show the version', VERSION)
      .alias('version', 'V')
  );
}

/**
 * The parser: every command declared, each with its module where loaded. yargs runs the
 * builder only of the command it picks, which is one named on the line or the default, so
 * `run` loads just those; a builder that is not loaded is a bug in that choice.
 */
export function buildParser(
  declared: readonly (Command | CommandEntry)[],
  onCommand: (run: (ctx: Context) => Promise<number>, args: GlobalArgs, command: Command) => void,
  columns = 100,
) {
  let parser = globalOptions(
    yargs()
      .scriptName('knock')
      // Our messages are English; yargs' own would follow $LANG and break the translation below.
      .locale('en')
      // Words after `--` stay strings ("08" is not 8): the default command takes them as knocks.
      // No `--config.x` objects: knock has no nested options, so such a word is an unknown option.
      .parserConfiguration({ 'parse-positional-numbers': false, 'dot-notation': false })
      .usage('$0 [command] [options]\n\nPort knocking: exactly one packet per knock, in order, on time.') as Argv<GlobalArgs>,
  );
  for (const command of declared) {
    const loaded = 'run' in command ? command : undefined;
    parser = parser.command(
      command.command as string | string[],
      command.describe as string,
      (y) => {
        if (!loaded) throw new Error(`the module of '${[command.command].flat()[0]}' was not loaded`);
        return (loaded.examples ?? []).reduce((b, [line, text]) => b.example(line, text), loaded.builder ? loaded.builder(y) : y);
      },
      (argv) => {
        if (!loaded) throw new Error(`the module of '${[command.command].flat()[0]}' was not loaded`);
        if (!loaded.takesRest) refuseRest(argv._, loaded);
        refuseRepeated(argv);
        onCommand((ctx) => loaded.run(argv as never, ctx), argv as GlobalArgs, loaded);
      },
    );
  }
  for (const [cmd, text] of EXAMPLES) parser = parser.example(cmd, text);
  return parser
    .strict()
    .epilog('Exit status: 0 sent, 1 runtime failure (resolve, send, connect), 2 usage or configuration error.\nEach command has its own help (knock add --help); the whole manual: man knock.')
    .wrap(Math.min(120, columns))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** The global options alone (no commands): the flags every command accepts. */
export const globalParser = (): Argv<GlobalArgs> => globalOptions(yargs() as Argv<GlobalArgs>);

/**
 * The commands yargs could pick for this line: one is chosen by a word of the line (its name or
 * alias), else the default runs, so those are the modules to load.
 */
function commandsOf(argv: readonly string[]): CommandEntry[] {
  const words = new Set(argv);
  return commands.filter((c) => c === defaultEntry || commandNames(c).some((name) => words.has(name)));
}

/** The command a line chose, and its arguments (what Context and the handler read). */
export interface Chosen {
  run: (ctx: Context) => Promise<number>;
  args: GlobalArgs;
}

/**
 * Reads the line with yargs: `chosen` is the command to run, if any, after yargs' own output
 * (help, version) is written; `code` ends the run at once (a completion request).
 */
export async function parseLine(argv: string[], io: Io, services: Services): Promise<{ chosen?: Chosen; code?: number }> {
  const flagAt = argv.indexOf(COMPLETION_FLAG);
  if (flagAt >= 0) {
    const globals = parseGlobals(argv.slice(flagAt + 1));
    // Quiet: a warning about the store would land in the middle of the user's prompt.
    const ctx = new (await import('../app/context.js')).Context(io, { ...globals, quiet: true }, services);
    const parser = globalParser();
    const input = { words: argv.slice(flagAt + 1), commands, globalFlags: optionFlags(parser), store: () => ctx.store() };
    const candidates = await completeWords(input);
    // The zsh and fish scripts say so: those shells show a description beside each candidate.
    const shell = io.env.SHELL === 'zsh' || io.env.SHELL === 'fish' ? io.env.SHELL : undefined;
    const lines = shell ? await describeCandidates({ ...input, globalParser: parser }, candidates, shell) : candidates;
    io.stdout.write(lines.map((c) => c + '\n').join(''));
    return { code: 0 };
  }
  let chosen: (Chosen & { command: Command }) | undefined;
  let output = '';
  if (needsNormalizing(argv, commands)) argv = normalizeArgv(argv, commands, optionTable(await loadCommands(), globalParser()));
  const loaded = new Map((await loadCommands(commandsOf(argv))).map((c) => [c.command, c]));
  try {
    buildParser(
      commands.map((c) => loaded.get(c.command) ?? c),
      (runCommand, args, command) => {
        chosen = { run: runCommand, args, command };
      },
      // The terminal's width matters only to help (and asking makes stdout).
      (asksForHelp(argv) && (io.stdout as { columns?: number }).columns) || 120,
    ).parse(argv, {}, (_error, _argv, text) => {
      output = text;
    });
  } catch (error) {
    // yargs' own complaints, and ours from a coerce (which yargs wraps in a YError).
    const usage = error instanceof KnockError || (error instanceof Error && error.name === 'YError');
    if (!usage) throw error;
    const all = await loadCommands();
    throw usageErrorOf((error as Error).message, argv, () => flagsByCommand(all, globalParser()), all);
  }
  if (output) {
    // yargs marks a variadic positional `[default: []]`: noise, since it is required.
    output = output.replace(/(\s+)(\[.*?) \[default: \[\]\]$/gm, (_m, space: string, rest: string) => `${space}${' '.repeat(14)}${rest}`);
    io.stdout.write(output.endsWith('\n') ? output : output + '\n');
  }
  if (!chosen) return {};
  // What yargs let through that a command cannot take (a positional as --name, --no- on a value
  // option, a single value given twice) is settled before anything runs.
  settleParsed(argv, chosen.args as Record<string, unknown>, chosen.command, globalParser);
  return { chosen: { run: chosen.run, args: chosen.args } };
}

/** `--help`, `-h`, or `-h` among other letters (`-vh`), before any `--`. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((w) => w === '--help' || /^-[^-]*h/.test(w));
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

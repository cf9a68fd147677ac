// The plain lines read without yargs: `knock [options] PROFILE`, `knock [options] HOST KNOCK...`
// and `knock proxy [options] HOST PORT`, which every knock and every ssh ProxyCommand pays to
// parse. They give the command exactly the arguments yargs would (test/unit/cli/fast-path.test.ts
// holds the two equal); a line with anything else (an option not in the tables below, `--`,
// `=`, grouped letters, help, a command word, a value that would be refused) goes to yargs.
import type { GlobalArgs } from '../app/context.js';
import { commandNames } from '../commands/command.js';
import { commands, defaultEntry, type CommandEntry } from '../commands/index.js';
import { parseDelayOption, parseTtlOption } from '../commands/options.js';

/** What yargs hands a command's handler, as far as the handler and the Context read it. */
export type FastArgs = GlobalArgs & Record<string, unknown> & { _: string[] };

export interface FastLine {
  entry: CommandEntry;
  args: FastArgs;
}

/** Switches as typed, by the key the handler reads. */
const GLOBAL_SWITCHES: Record<string, string> = {
  '--json': 'json',
  '-q': 'quiet',
  '--quiet': 'quiet',
  '-v': 'verbose',
  '--verbose': 'verbose',
  '-4': '4',
  '--ipv4': '4',
  '-6': '6',
  '--ipv6': '6',
};

interface ValueOption {
  key: string;
  /** The value as the option's coerce makes it; throws where yargs' path would refuse it. */
  read: (text: string) => unknown;
}

const asText = (text: string) => text;

const GLOBAL_VALUES: Record<string, ValueOption> = { '--config': { key: 'config', read: asText } };

interface Shape {
  entry: CommandEntry;
  switches: Record<string, string>;
  values: Record<string, ValueOption>;
  /** The command's own word(s) in `_`. */
  own: string[];
  /** How many positionals: [min, max]. */
  positionals: [number, number];
  /** What yargs sets where the option is not given. */
  defaults: Record<string, unknown>;
  /** The positionals, as the handler's keys. */
  place(words: string[]): Record<string, unknown>;
}

const KNOCK: Shape = {
  entry: defaultEntry,
  switches: { ...GLOBAL_SWITCHES, '-n': 'dryRun', '--dry-run': 'dryRun', '-u': 'udp', '--udp': 'udp' },
  values: {
    ...GLOBAL_VALUES,
    '-d': { key: 'delay', read: parseDelayOption },
    '--delay': { key: 'delay', read: parseDelayOption },
    '--ttl': { key: 'ttl', read: parseTtlOption },
    '--source': { key: 'source', read: asText },
  },
  own: [],
  positionals: [1, Infinity],
  // --wait-timeout's default (src/app/wait-open.ts), which yargs sets whether --wait is given or not.
  defaults: { waitTimeout: 10 },
  place: ([target, ...knocks]) => ({ target, knocks }),
};

const PROXY_ENTRY = commands.find((c) => commandNames(c)[0] === 'proxy')!;

const PROXY: Shape = {
  entry: PROXY_ENTRY,
  switches: GLOBAL_SWITCHES,
  values: { ...GLOBAL_VALUES, '--connect-timeout': { key: 'connectTimeout', read: asText } },
  own: ['proxy'],
  positionals: [2, 2],
  // --connect-timeout's default (src/commands/proxy.ts), as the string yargs keeps it.
  defaults: { connectTimeout: '10' },
  place: ([host, port]) => ({ host, port }),
};

const COMMAND_WORDS = new Set(commands.flatMap(commandNames));

/** The line's command and arguments, or undefined where yargs must read it. */
export function fastLine(argv: readonly string[]): FastLine | undefined {
  const shape = argv[0] === 'proxy' ? PROXY : KNOCK;
  const words = argv.slice(shape.own.length);
  const args: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) {
      if (COMMAND_WORDS.has(word)) return undefined;
      positionals.push(word);
      continue;
    }
    const key = shape.switches[word];
    if (key !== undefined) {
      args[key] = true;
      continue;
    }
    const option = shape.values[word];
    const value = words[i + 1];
    // A missing value, or one that looks like an option: yargs says what is wrong.
    if (!option || option.key in args || value === undefined || value.startsWith('-')) return undefined;
    try {
      args[option.key] = option.read(value);
    } catch {
      return undefined;
    }
    i++;
  }
  const [min, max] = shape.positionals;
  if (positionals.length < min || positionals.length > max) return undefined;
  return { entry: shape.entry, args: { _: [...shape.own], ...shape.defaults, ...args, ...shape.place(positionals) } };
}

// Shell completion: `knock --get-yargs-completions WORD...` (yargs' flag, so yargs' own
// templates work too) prints candidates one per line: subcommands, the options of the
// command being typed, and the profile names of the store where a profile name fits,
// read exactly as every command reads it (ctx.store()), and @groups where a group fits.
import yargs, { type Argv } from 'yargs';
import { commandNames, type Command, type CommandDeclaration } from '../commands/command.js';
import { loadCommands, type CommandEntry } from '../commands/index.js';
import type { GlobalArgs } from '../app/context.js';
import type { ProfileStore } from '../store/profiles.js';

export const COMPLETION_FLAG = '--get-yargs-completions';

/** Subcommands whose first positional is a profile. */
const TAKES_PROFILE = new Set(['open', 'close', 'show', 'remove', 'rm', 'lint', 'proxy', 'ssh-config', 'serve', 'rules']);
/** Subcommands that also take @GROUP. */
const TAKES_GROUP = new Set(['open', 'close']);
/** Positionals with a fixed set of values. */
const CHOICES: Record<string, string[]> = { completion: ['bash', 'zsh', 'fish'], group: ['add', 'remove'] };

export { commandNames };

/**
 * `--name` for every option yargs knows (aliases as `-x` / `--xx`), hidden ones excepted;
 * with `valuesOnly`, just the options that take a value (not booleans).
 */
export function optionFlags(parser: Argv<GlobalArgs>, positionals: readonly string[] = [], valuesOnly = false): string[] {
  const options = (
    parser as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; hiddenOptions: string[]; boolean: string[] } }
  ).getOptions();
  const flags: string[] = [];
  for (const key of Object.keys(options.key)) {
    if (options.hiddenOptions.includes(key) || key === '$0' || key === '_' || positionals.includes(key)) continue;
    if (valuesOnly && options.boolean.includes(key)) continue;
    for (const name of [key, ...(options.alias[key] ?? [])]) flags.push(name.length === 1 ? `-${name}` : `--${name}`);
  }
  return [...new Set(flags)];
}

export interface CompletionInput {
  /** All words of the command line up to the cursor; the first is the program, the last is being typed. */
  words: string[];
  /** Declared commands; a command's module is loaded only where its options matter. */
  commands: readonly CommandEntry[];
  /** The parser's global options (--config, --json, ...). */
  globalFlags: string[];
  /** The store, read lazily and only where a profile name fits. */
  store: () => Promise<ProfileStore>;
}

export async function completeWords(input: CompletionInput): Promise<string[]> {
  const current = input.words.at(-1) ?? '';
  const before = input.words.slice(1, -1);
  // Every command's options matter only where an option's value could be taken for a positional.
  const takesValue = before.some((w) => w.startsWith('-')) ? valueTaker(await loadCommands(input.commands)) : () => false;
  const positionals = before.filter((w, i) => !w.startsWith('-') && !takesValue(before[i - 1]));
  const declared = input.commands.find((c) => commandNames(c).includes(positionals[0] ?? ''));
  const [subcommand] = declared ? await loadCommands([declared]) : [];
  const matching = (list: string[]) => list.filter((c) => c.startsWith(current));

  if (current.startsWith('-')) {
    const own = subcommand?.builder ? optionFlags(subcommand.builder(yargs() as Argv<GlobalArgs>), positionalNames(subcommand)) : [];
    const fallbackEntry = input.commands.find((c) => [c.command].flat().some((s) => s.startsWith('$0')));
    const [fallback] = !subcommand && fallbackEntry ? await loadCommands([fallbackEntry]) : [];
    const defaults = fallback?.builder ? optionFlags(fallback.builder(yargs() as Argv<GlobalArgs>), positionalNames(fallback)) : [];
    return matching([...new Set([...input.globalFlags, ...own, ...defaults])]);
  }
  const choices = subcommand?.builder ? optionChoices(subcommand.builder(yargs() as Argv<GlobalArgs>), before.at(-1)) : undefined;
  if (choices) return matching(choices); // rules --format <TAB>
  if (takesValue(before.at(-1))) return []; // --config FILE, --delay MS: the shell's default
  if (!subcommand) {
    if (positionals.length > 0) return []; // ad-hoc knocks after a host
    const names = input.commands.filter((c) => c.describe !== false).flatMap(commandNames).filter((n) => n !== 'ls' && n !== 'rm');
    return matching([...names, ...(await profileNames(input.store, { withGroups: true }))]);
  }
  const name = positionals[0]!;
  if (positionals.length === 1 && CHOICES[name]) return matching(CHOICES[name]!);
  // `knock close <TAB>`: only the profiles that have a close sequence to fire.
  if (positionals.length === 1 && TAKES_PROFILE.has(name)) return matching(await profileNames(input.store, { withClose: name === 'close', withGroups: TAKES_GROUP.has(name) }));
  // knock group add|remove GROUP PROFILE...
  if (name === 'group' && positionals.length === 2) return matching(await groupNames(input.store));
  if (name === 'group' && positionals.length >= 3) return matching((await profileNames(input.store)).filter((p) => !positionals.slice(3).includes(p)));
  return [];
}

/** The values an option declares with `choices` (`--format`, `-f`), when `flag` names one. */
function optionChoices(parser: Argv<GlobalArgs>, flag: string | undefined): string[] | undefined {
  if (!flag?.startsWith('-')) return undefined;
  const options = (parser as unknown as { getOptions(): { choices: Record<string, unknown[]>; alias: Record<string, string[]> } }).getOptions();
  const name = flag.replace(/^--?/, '');
  const key = Object.keys(options.choices).find((k) => k === name || (options.alias[k] ?? []).includes(name));
  return key === undefined ? undefined : options.choices[key]!.map(String);
}

/** Options followed by a value (any command's, or a global one), so the value is not taken for a positional. */
function valueTaker(commands: readonly Command[]): (word: string | undefined) => boolean {
  const flags = new Set(['--config']);
  for (const command of commands) {
    if (!command.builder) continue;
    for (const flag of optionFlags(command.builder(yargs() as Argv<GlobalArgs>), positionalNames(command), true)) flags.add(flag);
  }
  return (word) => word !== undefined && flags.has(word);
}

/** `open <target>` declares target; outside its command yargs would list it as --target. */
function positionalNames(command: CommandDeclaration): string[] {
  return [...[command.command].flat().join(' ').matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)].map((m) => m[1]!);
}

async function groupNames(store: () => Promise<ProfileStore>): Promise<string[]> {
  try {
    return [...((await store()).groups?.keys() ?? [])].sort();
  } catch {
    return [];
  }
}

async function profileNames(store: () => Promise<ProfileStore>, which: { withClose?: boolean; withGroups?: boolean } = {}): Promise<string[]> {
  try {
    const s = await store();
    // `close @GROUP` skips members without a close sequence: a group none of whose members can close is not offered.
    const closable = (members: readonly string[]) => !which.withClose || members.some((m) => s.profiles.get(m)?.close !== undefined);
    const groups = which.withGroups ? [...(s.groups?.entries() ?? [])].filter(([, members]) => closable(members)).map(([g]) => `@${g}`).sort() : [];
    const profiles = [...s.profiles.values()].filter((p) => !which.withClose || p.close !== undefined).map((p) => p.name);
    return [...profiles.sort(), ...groups];
  } catch {
    return []; // a broken store completes nothing; running a command will say why
  }
}

/**
 * zsh and fish show a description beside each candidate: `open:fire the profile's open sequence`
 * for zsh's _describe (a `:` in the value escaped), `open<TAB>fire ...` for fish. Subcommands and
 * options have their help text; profiles their description, else their host; groups their members.
 */
export async function describeCandidates(input: CompletionInput & { globalParser: Argv<GlobalArgs> }, candidates: readonly string[], shell: 'zsh' | 'fish'): Promise<string[]> {
  const descriptions = new Map<string, string>();
  const before = input.words.slice(1, -1);
  // Every command's options may be described: their modules are loaded (a completion, not a knock).
  const commands = await loadCommands(input.commands);
  const takesValue = valueTaker(commands);
  const positionals = before.filter((w, i) => !w.startsWith('-') && !takesValue(before[i - 1]));
  const subcommand = commands.find((c) => commandNames(c).includes(positionals[0] ?? ''));
  const fallback = commands.find((c) => [c.command].flat().some((x) => x.startsWith('$0')));
  // The command being typed first: its -n is its own, whatever another command's -n means.
  const parsers = [subcommand ?? fallback, ...commands].flatMap((c) => (c?.builder ? [c.builder(yargs() as Argv<GlobalArgs>)] : []));
  for (const parser of [...parsers.slice(0, 1), input.globalParser, ...parsers.slice(1)]) {
    for (const [flag, text] of optionDescriptions(parser)) if (!descriptions.has(flag)) descriptions.set(flag, text);
  }
  if (!subcommand) {
    for (const command of input.commands) {
      if (typeof command.describe !== 'string') continue;
      for (const name of commandNames(command)) descriptions.set(name, command.describe);
    }
  }
  if (candidates.some((c) => !c.startsWith('-') && !descriptions.has(c))) {
    try {
      const store = await input.store();
      for (const p of store.profiles.values()) if (!descriptions.has(p.name)) descriptions.set(p.name, p.description ?? p.host ?? 'profile');
      for (const [name, members] of store.groups ?? []) descriptions.set(`@${name}`, `group: ${members.join(' ')}`);
    } catch {
      // a broken store describes nothing
    }
  }
  return candidates.map((value) => {
    const text = descriptions.get(value)?.replace(/[\t\n\r]+/g, ' ');
    if (!text) return shell === 'zsh' ? value.replace(/:/g, '\\:') : value;
    return shell === 'zsh' ? `${value.replace(/:/g, '\\:')}:${text}` : `${value}\t${text}`;
  });
}

/** Every flag of a parser (aliases too) with its help text. */
function optionDescriptions(parser: Argv<GlobalArgs>): Map<string, string> {
  const internal = parser as unknown as {
    getOptions(): { alias: Record<string, string[]> };
    getInternalMethods(): { getUsageInstance(): { getDescriptions(): Record<string, string | undefined> } };
  };
  const { alias } = internal.getOptions();
  const out = new Map<string, string>();
  for (const [key, raw] of Object.entries(internal.getInternalMethods().getUsageInstance().getDescriptions())) {
    if (!raw) continue;
    const text = raw.replace(/^__yargsString__:/, '');
    for (const name of [key, ...(alias[key] ?? [])]) out.set(name.length === 1 ? `-${name}` : `--${name}`, text);
  }
  return out;
}

// The command line before yargs sees it: options may come before the subcommand
// (`knock -n close office`), and a boolean option never takes a value (`--dry-run=yes`).
import yargs, { type Argv } from 'yargs';
import { commandNames, type Command, type CommandDeclaration } from '../commands/command.js';
import type { GlobalArgs } from '../app/context.js';
import { UsageError } from '../shared/errors.js';
import { optionFlags } from './completion.js';

export interface OptionTable {
  /** Flags followed by a value (`--config`, `-d`, ...), as typed. */
  takesValue: Set<string>;
  /** Flags that are switches (`-n`, `--dry-run`, ...), as typed. */
  switches: Set<string>;
}

/** Every command's options and the global ones; built only when a line needs it (it loads every command). */
export function optionTable(commands: readonly Command[], global: Argv<GlobalArgs>): OptionTable {
  const takesValue = new Set(optionFlags(global, [], true));
  const switches = new Set(optionFlags(global).filter((f) => !takesValue.has(f)));
  for (const command of commands) {
    if (!command.builder) continue;
    const parser = command.builder(yargs() as Argv<GlobalArgs>);
    const values = optionFlags(parser, [], true);
    for (const flag of values) takesValue.add(flag);
    for (const flag of optionFlags(parser)) if (!values.includes(flag)) switches.add(flag);
  }
  return { takesValue, switches };
}

/**
 * Whether normalizeArgv could change the line at all, so that the common `knock office` and
 * `knock -n office` never pay for the table: only a switch given a value (`--dry-run=yes`), a
 * `true`/`false` after an option, or a command word after leading options makes a difference.
 */
export function needsNormalizing(argv: readonly string[], commands: readonly CommandDeclaration[]): boolean {
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  if (options.some((a, i) => /^--?[^-=][^=]*=/.test(a) || (isBooleanWord(a) && options[i - 1]?.startsWith('-') === true))) return true;
  if (!(options[0]?.startsWith('-') ?? false)) return false;
  const names = new Set(commands.flatMap(commandNames));
  return options.some((a) => names.has(a));
}

/** The words yargs would take as a switch's value (`-n false`): its parser has no setting against it. */
function isBooleanWord(word: string): boolean {
  return word === 'true' || word === 'false';
}

/** `-n`, `--dry-run`, `-qn`: a word whose last flag is a switch (no value-taking letter before it). */
function endsInSwitch(word: string, table: OptionTable): boolean {
  if (word.startsWith('--')) return table.switches.has(word) && !table.takesValue.has(word);
  if (!/^-[^-]/.test(word) || word.includes('=')) return false;
  const letters = word.slice(1);
  for (let j = 0; j < letters.length; j++) if (table.takesValue.has(`-${letters[j]}`)) return false;
  return table.switches.has(`-${letters.at(-1)!}`);
}

/**
 * A switch never takes the next word: yargs reads `-n false ok` as "dry run off, target ok", so a
 * switch followed by `true` or `false` moves to the end of the options (before `--`), where it has
 * no next word. `knock open -n false ok` is then the target `false` and a stray `ok`, as typed.
 * Switches in a row all move (`-u --json true`): moving one must not leave another before the word.
 */
export function detachSwitches(argv: readonly string[], table: OptionTable): string[] {
  const end = argv.indexOf('--');
  const limit = end < 0 ? argv.length : end;
  const kept: string[] = [];
  /** Whether each kept word is a switch that would take a `true`/`false` after it. */
  const isSwitch: boolean[] = [];
  const moved: string[] = [];
  for (let i = 0; i < limit; i++) {
    const word = argv[i]!;
    if (consumesNext(word, table)) {
      kept.push(word);
      isSwitch.push(false);
      if (i + 1 < limit) {
        kept.push(argv[++i]!);
        isSwitch.push(false);
      }
      continue;
    }
    if (isBooleanWord(word)) {
      const from = kept.length;
      let at = from;
      while (at > 0 && isSwitch[at - 1]) at--;
      moved.push(...kept.splice(at, from - at));
      isSwitch.splice(at, from - at);
    }
    kept.push(word);
    isSwitch.push(endsInSwitch(word, table));
  }
  return [...kept, ...moved, ...argv.slice(limit)];
}

/**
 * Moves the subcommand to the front when options come first, and refuses a value given to a
 * switch. The first word that is neither an option nor an option's value names the command.
 */
export function normalizeArgv(argv: readonly string[], commands: readonly CommandDeclaration[], table: OptionTable): string[] {
  const names = new Set(commands.flatMap(commandNames));
  const end = argv.indexOf('--');
  const limit = end < 0 ? argv.length : end;
  let commandAt = -1;
  for (let i = 0; i < limit; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-') || word === '-') {
      if (commandAt < 0) commandAt = i;
      break;
    }
    const eq = word.indexOf('=');
    const flag = eq < 0 ? word : word.slice(0, eq);
    if (eq >= 0 && table.switches.has(flag.replace(/^--no-/, '--')) && !table.takesValue.has(flag)) {
      throw new UsageError(`option ${flag} takes no value (got '${word.slice(eq + 1)}')`);
    }
    if (eq < 0 && consumesNext(word, table)) i++;
  }
  // Switches after the command may carry `=value` too.
  for (let i = Math.max(commandAt, 0); i < limit; i++) {
    const match = /^(--?[^-=][^=]*)=(.*)$/.exec(argv[i]!);
    if (match && table.switches.has(match[1]!.replace(/^--no-/, '--')) && !table.takesValue.has(match[1]!)) {
      throw new UsageError(`option ${match[1]} takes no value (got '${match[2]}')`);
    }
  }
  const line = commandAt <= 0 || !names.has(argv[commandAt]!) ? [...argv] : [argv[commandAt]!, ...argv.slice(0, commandAt), ...argv.slice(commandAt + 1)];
  return detachSwitches(line, table);
}

/** `--config FILE`, `-d 50`, `-vd 50`: the next word is the value. `-d50` carries its own. */
function consumesNext(word: string, table: OptionTable): boolean {
  if (word.startsWith('--')) return table.takesValue.has(word);
  // A word that is no option (`group`, a profile) takes nothing, whatever its letters.
  if (!/^-[^-]/.test(word)) return false;
  const letters = word.slice(1);
  for (let j = 0; j < letters.length; j++) {
    if (table.takesValue.has(`-${letters[j]}`)) return j === letters.length - 1;
  }
  return false;
}

/** The flags each command accepts (its own and the global ones), by every name of the command; '' is the default command. */
export function flagsByCommand(commands: readonly Command[], global: Argv<GlobalArgs>): Map<string, string[]> {
  const globalFlags = optionFlags(global);
  const byCommand = new Map<string, string[]>();
  for (const command of commands) {
    const own = command.builder ? optionFlags(command.builder(yargs() as Argv<GlobalArgs>)) : [];
    const names = commandNames(command);
    for (const name of names.length > 0 ? names : ['']) byCommand.set(name, [...globalFlags, ...own]);
  }
  return byCommand;
}

/** The positionals a command declares (`add <name> <host> <knocks..>`), with whether each takes many words. */
export function positionalsOf(command: CommandDeclaration): { name: string; variadic: boolean }[] {
  return [...[command.command].flat()[0]!.matchAll(/[<[]([\w-]+)(\.\.)?[>\]]/g)].map((m) => ({ name: m[1]!, variadic: m[2] !== undefined }));
}

/**
 * What yargs parsed, held to what the command declares, before it runs: a positional is a word,
 * not an option (`knock show --name p`: yargs would take it, and `--name p --name q` as a list);
 * a value-taking option is not negated (`--no-config` would be false); an option given twice
 * that takes one value counts once, the last (`--wait 22 --wait 23`), as a number option does.
 * The command's table of options is built only where a line has a `--no-` word or a list.
 */
export function settleParsed(words: readonly string[], args: Record<string, unknown>, command: Command, global: () => Argv<GlobalArgs>): void {
  const end = words.indexOf('--');
  const options = end < 0 ? words : words.slice(0, end);
  const positionals = positionalsOf(command);
  const see = `knock${commandNames(command)[0] ? ` ${commandNames(command)[0]}` : ''}`;
  for (const word of options) {
    const name = /^--(?:no-)?([^=]+)/.exec(word)?.[1];
    if (name && positionals.some((p) => p.name === name)) throw new UsageError(`unknown option ${word.split('=')[0]} (see ${see} --help)`);
  }
  const variadic = new Set(positionals.filter((p) => p.variadic).map((p) => p.name));
  const lists = Object.keys(args).filter((key) => key !== '_' && !variadic.has(key) && Array.isArray(args[key]));
  const negated = options.filter((w) => w.startsWith('--no-'));
  if (lists.length === 0 && negated.length === 0) return;
  const declared = [global(), ...(command.builder ? [command.builder(yargs() as Argv<GlobalArgs>)] : [])].map(
    (parser) => (parser as unknown as { getOptions(): { array: string[]; boolean: string[]; key: Record<string, unknown>; alias: Record<string, string[]> } }).getOptions(),
  );
  const has = (list: 'array' | 'boolean', key: string) => declared.some((o) => o[list].includes(key) || o[list].some((k) => (o.alias[k] ?? []).includes(key)));
  for (const word of negated) {
    const name = word.slice('--no-'.length).split('=')[0]!;
    if (declared.some((o) => name in o.key) && !has('boolean', name)) throw new UsageError(`unknown option ${word.split('=')[0]} (--${name} takes a value; see ${see} --help)`);
  }
  const repeatable = (key: string) => (command.repeatable ?? []).some((r) => r === key || declared.some((o) => (o.alias[r] ?? []).includes(key)));
  for (const key of lists) if (!has('array', key) && !repeatable(key)) args[key] = (args[key] as unknown[]).at(-1);
}

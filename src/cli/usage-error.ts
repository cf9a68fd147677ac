// yargs' complaints in our words: the option as the user typed it, and what to do about it.
import yargs from 'yargs';
import { commands } from '../commands/index.js';
import type { Command } from '../commands/command.js';
import { UsageError } from '../shared/errors.js';
import { nearest } from '../shared/suggest.js';

/** yargs' messages in ours: the option as the user typed it, and what to do about it. */
export function usageErrorOf(message: string, argv: readonly string[], flags: () => Map<string, string[]> = () => new Map(), loaded: readonly Command[] = []): UsageError {
  const names = commands.flatMap((c) => (typeof c.command === 'string' ? [c.command] : [...c.command]).map((n) => n.split(' ')[0]!));
  const command = argv.find((a) => names.includes(a));
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const name = (unknown[1] ?? '').split(', ')[0] ?? '';
    const typed = argv.find((a) => a.startsWith('-') && a.replace(/^--?(no-)?/, '').split('=')[0] === name) ??
      argv.find((a) => /^-[^-]/.test(a) && a.includes(name));
    if (typed === undefined && !name.startsWith('-')) return new UsageError(`unexpected argument '${name}' (see knock --help)`);
    const flag = typed === undefined ? name : typed.startsWith('--') ? typed.split('=')[0]! : name.length === 1 ? `-${name}` : `--${name}`;
    return new UsageError(unknownOption(flag, command, flags()));
  }
  const needsValue = /^Not enough arguments following: (.*)$/.exec(message);
  if (needsValue) {
    const name = needsValue[1] ?? '';
    return new UsageError(`option ${name.length === 1 ? '-' : '--'}${name} needs a value`);
  }
  const notEnough = /^Not enough non-option arguments: got (\d+), need at least (\d+)/.exec(message);
  if (notEnough) {
    if (command === 'open' || command === 'close') return new UsageError(`missing target: knock ${command} PROFILE`);
    const declared = commands.find((c) => [c.command].flat().some((n) => n.split(' ')[0] === command));
    const wanted = [...[declared?.command ?? ''].flat()[0]!.matchAll(/<([\w-]+)(\.\.)?>/g)].map((m) => (m[2] ? m[1]!.replace(/s$/, '') : m[1]!).toUpperCase() + (m[2] ? '...' : ''));
    const missing = wanted.slice(Number(notEnough[1]));
    if (missing.length === 0) return new UsageError(`missing arguments (see knock ${command ?? ''} --help)`.replace('  ', ' '));
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
    return new UsageError(`missing ${list}: knock ${command} ${wanted.join(' ')}`);
  }
  const required = /^Missing required arguments?: (.*)$/.exec(message);
  if (required) {
    // `knock rules office` without --format: name the option and what it may be.
    const name = (required[1] ?? '').split(', ')[0]!;
    const declared = loaded.find((c) => [c.command].flat().some((n) => n.split(' ')[0] === command));
    const choices = declared?.builder ? optionChoicesOf(declared.builder(yargs() as never), name) : undefined;
    const flag = `${name.length === 1 ? '-' : '--'}${name}`;
    return new UsageError(`missing ${flag}${choices ? `: one of ${choices.join(', ')}` : ''} (see knock${command ? ` ${command}` : ''} --help)`);
  }
  const invalid = /^Invalid values:\s*Argument: (\S+), Given: "([^"]*)", Choices: (.*)$/s.exec(message);
  if (invalid) {
    const choices = [...(invalid[3] ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    const [name, given] = [invalid[1]!, invalid[2]!];
    // An option's value (`-f pf`, `--format=pf`) is named as the option; a positional as its placeholder.
    const asOption = argv.some((a, i) => (a.startsWith('-') && argv[i + 1] === given) || a === `--${name}=${given}`);
    return new UsageError(`${asOption ? `--${name}` : name.toUpperCase()} '${given}' is not one of ${choices.join(', ')}`);
  }
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message);
  if (exclusive) {
    const dash = (name = '') => (name.length === 1 ? '-' : '--') + name;
    return new UsageError(`options ${dash(exclusive[1])} and ${dash(exclusive[2])} cannot be used together`);
  }
  return new UsageError(message.split('\n').join(' ').replace(/\s+/g, ' '));
}

/** An option this command does not know: another command's, or a typo of one it knows. */
function unknownOption(flag: string, command: string | undefined, flags: Map<string, string[]>): string {
  const own = flags.get(command ?? '') ?? [];
  const where = command ? `knock ${command}` : 'knock';
  const elsewhere = [...flags.entries()].filter(([, list]) => list.includes(flag)).map(([name]) => name);
  if (elsewhere.length > 0) return `option ${flag} does not apply to ${where} (see ${where} --help)`;
  // Every one-letter flag is one edit from every other: no guess there.
  const guess = flag.startsWith('--') ? nearest(flag, own.filter((f) => f.startsWith('--'))) : undefined;
  if (guess) return `unknown option ${flag}; did you mean ${guess}? (see ${where} --help)`;
  return `unknown option ${flag} (see ${where} --help)`;
}

/** The values an option declares with `choices`, if any. */
function optionChoicesOf(parser: unknown, name: string): string[] | undefined {
  const options = (parser as { getOptions(): { choices: Record<string, unknown[]> } }).getOptions();
  const list = options.choices[name];
  return list && list.length > 0 ? list.map(String) : undefined;
}

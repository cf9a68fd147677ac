// How an error reaches the user: one line, `knock: <reason>`, and its exit code; yargs'
// complaints are put in our words first. Only a bug shows a stack.
import { commands } from '../commands/index.js';
import { KnockError, UsageError } from '../shared/errors.js';
import type { Io } from '../shared/io.js';
import { printable } from '../shared/printable.js';

export function reportError(error: unknown, io: Io): number {
  if (error instanceof KnockError) {
    io.stderr.write(`knock: ${printable(error.message)}\n`);
    return error.exitCode;
  }
  // A bug, not a user's mistake: the stack helps us fix it.
  io.stderr.write(`knock: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 70;
}

/** yargs' messages in ours: the option as the user typed it, and what to do about it. */
export function usageErrorOf(message: string, argv: readonly string[]): UsageError {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const name = (unknown[1] ?? '').split(', ')[0] ?? '';
    const typed = argv.find((a) => a.startsWith('-') && a.replace(/^--?(no-)?/, '').split('=')[0] === name) ??
      argv.find((a) => /^-[^-]/.test(a) && a.includes(name));
    return new UsageError(
      typed !== undefined || name.startsWith('-')
        ? `unknown option ${typed?.split('=')[0] ?? name} (see knock --help)`
        : `unexpected argument '${name}' (see knock --help)`,
    );
  }
  const needsValue = /^Not enough arguments following: (.*)$/.exec(message);
  if (needsValue) {
    const name = needsValue[1] ?? '';
    return new UsageError(`option ${name.length === 1 ? '-' : '--'}${name} needs a value`);
  }
  if (/^Not enough non-option arguments/.test(message)) {
    const names = commands.flatMap((c) => (typeof c.command === 'string' ? [c.command] : [...c.command]).map((n) => n.split(' ')[0]));
    const command = argv.find((a) => names.includes(a));
    return new UsageError(
      command === 'open' || command === 'close'
        ? `missing target: knock ${command} PROFILE`
        : `missing arguments${command ? ` for ${command}` : ''} (see knock ${command ? `${command} ` : ''}--help)`,
    );
  }
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message);
  if (exclusive) {
    const dash = (name = '') => (name.length === 1 ? '-' : '--') + name;
    return new UsageError(`options ${dash(exclusive[1])} and ${dash(exclusive[2])} cannot be used together`);
  }
  return new UsageError(message);
}

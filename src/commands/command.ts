// The shape of one command. Its declaration (what --help lists and the parser matches) lives in
// commands/index.ts, so that a run loads only the module of the command it runs; the module
// adds yargs' builder and a handler that maps arguments to a core call and prints the result.
// Handlers return the exit code; they never exit.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../app/context.js';

/** yargs' declaration of a command: its name, positionals and aliases, and its line in --help (false: hidden). */
export interface CommandDeclaration {
  command: string | readonly string[];
  describe: string | false;
}

/** What a command's module defines. */
export interface CommandModule<A = Record<string, unknown>> {
  builder?: (yargs: Argv<GlobalArgs>) => Argv<GlobalArgs>;
  /** Shown by `knock COMMAND --help`: [command line, what it does]. */
  examples?: readonly (readonly [string, string])[];
  /** Options that may be given more than once, each time adding a value (`add -g a -g b`); any other given twice counts once, the last. */
  repeatable?: readonly string[];
  /** Words after `--` are the command's own (knocks); elsewhere they are refused. */
  takesRest?: boolean;
  run(args: A & GlobalArgs, ctx: Context): Promise<number>;
}

/** A command whose module is loaded: its declaration and its module. */
export interface Command<A = Record<string, unknown>> extends CommandDeclaration, CommandModule<A> {}

/** Declares a command's module with typed arguments; the cast is where yargs' types meet ours. */
export function defineCommand<A>(command: CommandModule<A>): CommandModule {
  return command as unknown as CommandModule;
}

/** The words that name a command (`list`, `ls`); none for the default command (`$0`). */
export function commandNames(command: CommandDeclaration): string[] {
  return [command.command].flat().map((c) => c.split(' ')[0]!).filter((c) => c !== '$0');
}

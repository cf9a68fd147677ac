// The shape of one command: yargs' declaration plus a handler that maps arguments to a core
// call and prints the result. Handlers return the exit code; they never exit.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../app/context.js';

export interface Command<A = Record<string, unknown>> {
  command: string | readonly string[];
  describe: string | false;
  builder?: (yargs: Argv<GlobalArgs>) => Argv<GlobalArgs>;
  /** Shown by `knock COMMAND --help`: [command line, what it does]. */
  examples?: readonly (readonly [string, string])[];
  /** Words after `--` are the command's own (knocks); elsewhere they are refused. */
  takesRest?: boolean;
  run(args: A & GlobalArgs, ctx: Context): Promise<number>;
}

/** Declares a command with typed arguments; the cast is where yargs' types meet ours. */
export function defineCommand<A>(command: Command<A>): Command {
  return command as unknown as Command;
}

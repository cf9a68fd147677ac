// How an error reaches the user: one line, `knock: <reason>`, and its exit code (yargs'
// complaints are put in our words first, by usage-error.ts). Only a bug shows a stack.
import { KnockError } from '../shared/errors.js';
import type { Io } from '../shared/io.js';
import { printable } from '../shared/printable.js';

/** No error line is longer: a value it quotes (a 900 KB host from a store) is cut, not repeated in full. */
export const MAX_MESSAGE = 1000;

export function reportError(error: unknown, io: Io): number {
  if (error instanceof KnockError) {
    io.stderr.write(`knock: ${printable(error.message, MAX_MESSAGE)}\n`);
    return error.exitCode;
  }
  // `knock list > /dev/full`: the output could not be written; not a bug, and no stack.
  if (isWriteFailure(error)) {
    io.stderr.write(`knock: cannot write the output: ${error.code}${error.message.includes(',') ? ` (${error.message.split(',')[0]!.replace(/^[A-Z]+: /, '')})` : ''}\n`);
    return 1;
  }
  // A bug, not a user's mistake: the stack helps us fix it.
  io.stderr.write(`knock: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 70;
}

function isWriteFailure(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  const e = error as NodeJS.ErrnoException | undefined;
  return e instanceof Error && e.syscall === 'write' && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code);
}

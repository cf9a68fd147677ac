// The entry point bin/knock calls.
import { run } from './cli/cli.js';
import { processIo } from './shared/io.js';

export function main(argv: string[]): Promise<number> {
  return run(argv, processIo());
}

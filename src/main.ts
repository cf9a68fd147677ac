// The entry point bin/knock calls.
import { run } from './cli.js';
import { processIo } from './io.js';

export function main(argv: string[]): Promise<number> {
  return run(argv, processIo());
}

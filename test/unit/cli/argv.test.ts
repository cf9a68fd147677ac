import { normalizeArgv, type OptionTable } from '../../../src/cli/argv.js';
import { commands } from '../../../src/commands/index.js';

const table: OptionTable = {
  takesValue: new Set(['--config', '-d', '--delay', '--close']),
  switches: new Set(['-n', '--dry-run', '-v', '--verbose', '-q', '--json', '-4']),
};
const norm = (...argv: string[]) => normalizeArgv(argv, commands, table);

test.each([
  [['-n', 'close', 'office'], ['close', '-n', 'office']],
  [['--dry-run', 'open', 'office'], ['open', '--dry-run', 'office']],
  [['--config', 'f.yaml', '-n', 'list'], ['list', '--config', 'f.yaml', '-n']],
  [['-vd', '50', 'open', 'x'], ['open', '-vd', '50', 'x']],
  [['-d50', 'close', 'x'], ['close', '-d50', 'x']],
  // Not a command: the default command's target stays where it is.
  [['-d', '50', 'office'], ['-d', '50', 'office']],
  // --config's value is never the command, even when it is named like one.
  [['--config', 'list', 'office'], ['--config', 'list', 'office']],
  // After `--` nothing moves.
  [['-n', '--', 'close'], ['-n', '--', 'close']],
])('%j -> %j', (argv, expected) => {
  expect(norm(...argv)).toEqual(expected);
});

test.each([
  [['--dry-run=yes', 'office'], "option --dry-run takes no value (got 'yes')"],
  [['office', '--json=false'], "option --json takes no value (got 'false')"],
  [['--no-dry-run=1', 'office'], "option --no-dry-run takes no value (got '1')"],
])('%j is refused', (argv, message) => {
  expect(() => norm(...argv)).toThrow(message);
});

test('a value option may carry =', () => {
  expect(norm('--config=f.yaml', 'list')).toEqual(['list', '--config=f.yaml']);
  expect(norm('office', '--delay=5')).toEqual(['office', '--delay=5']);
});

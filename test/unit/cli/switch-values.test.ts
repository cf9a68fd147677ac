// A switch never takes the next word as its value: `-n false` is the switch and the word `false`.
import yargsParser from 'yargs-parser';
import { globalParser } from '../../../src/cli/parser.js';
import { detachSwitches, normalizeArgv, optionTable } from '../../../src/cli/argv.js';
import { commandNames } from '../../../src/cli/completion.js';
import { commands, loadCommands } from '../../../src/commands/index.js';
import { setupCli } from '../../helpers/run-cli.js';

const table = optionTable(await loadCommands(), globalParser());
const switches = [...table.switches].filter((f) => !table.takesValue.has(f));
const names = ['', ...commands.flatMap(commandNames)];

test('the table has the switches the issue names', () => {
  for (const flag of ['-n', '--dry-run', '-q', '--json', '-u', '-v', '-4', '-6', '--help', '-V']) expect(switches).toContain(flag);
});

// Every switch, every command, before and after the command word, either boolean word: after
// normalizing, yargs' parser reads the switch as set and the word as a positional.
const cases = names.flatMap((name) =>
  switches.flatMap((flag) =>
    ['true', 'false'].flatMap((word) => [
      [name, [...(name ? [name] : []), flag, word, 'x']],
      [name, [flag, word, ...(name ? [name] : []), 'x']],
    ]),
  ),
) as [string, string[]][];

test.each(cases)('%s: %j keeps the word', (_name, line) => {
  const normalized = normalizeArgv(line, commands, table);
  const word = line.find((w) => w === 'true' || w === 'false')!;
  const flag = line.find((w) => w.startsWith('-'))!;
  const end = normalized.indexOf('--');
  const options = end < 0 ? normalized : normalized.slice(0, end);
  expect(options[options.indexOf(flag) + 1]).not.toBe(word);
  const key = flag.replace(/^--?/, '');
  const parsed = yargsParser(normalized, { boolean: [key], configuration: { 'parse-positional-numbers': false } });
  expect(parsed[key]).toBe(true);
  expect(parsed._.map(String)).toContain(word);
});

test.each([
  [['-qn', 'false', 'h', '1'], ['false', 'h', '1', '-qn']],
  [['-d', '50', '-n', 'true'], ['-d', '50', 'true', '-n']],
  // A value option's value is its own, even `false`.
  [['--config', 'false', '-n', 'x'], ['--config', 'false', '-n', 'x']],
  [['-vd', 'true', 'x'], ['-vd', 'true', 'x']],
  // After `--` nothing moves.
  [['-n', '--', 'false'], ['-n', '--', 'false']],
  [['x', '--', '-n', 'false'], ['x', '--', '-n', 'false']],
])('%j -> %j', (line, expected) => {
  expect(detachSwitches(line, table)).toEqual(expected);
});

const STORE = `
profiles:
  ok:
    host: 198.18.0.2
    open: [7000, 7001]
  "true":
    host: 198.18.0.3
    open: [7100]
  "false":
    host: 198.18.0.4
    open: [7200]
`;

let cli: ReturnType<typeof setupCli>;
beforeEach(() => {
  cli = setupCli(STORE);
});
afterEach(() => cli.restore());

test('knock open -n false ok: nothing sent, the stray word refused', async () => {
  const result = await cli.knock('open', '-n', 'false', 'ok');
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("unexpected argument 'ok'");
  expect(cli.transport.armed).toEqual([]);
});

test('knock --dry-run false HOST 7321: nothing sent', async () => {
  const result = await cli.knock('--dry-run', 'false', '198.18.0.9', '7321');
  expect(result.code).toBe(2);
  expect(cli.transport.armed).toEqual([]);
});

test.each([['-n'], ['--dry-run']])('a profile named true or false can be dry-run (open %s NAME)', async (flag) => {
  for (const name of ['true', 'false']) {
    const result = await cli.knock('open', flag, name);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`open ${name}:`);
    expect(result.stdout).toContain('dry run: nothing was sent');
    const first = await cli.knock(flag, name);
    expect(first.stdout).toContain('dry run: nothing was sent');
  }
  expect(cli.transport.armed).toEqual([]);
});

test.each([['-q'], ['--json'], ['-v']])('%s false is the switch on and a target false', async (flag) => {
  const result = await cli.knock(flag, 'false', '-n');
  expect(result.code).toBe(0);
  if (flag === '--json') expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, profile: 'false' });
  else expect(result.stdout).toContain('open false:');
  expect(cli.transport.armed).toEqual([]);
});

test('-u false: bare ports stay UDP and false is the host', async () => {
  const result = await cli.knock('-u', 'false', '-n', '198.18.0.9', '1');
  // `false` is the host now, and 198.18.0.9 is not a knock: refused before any packet.
  expect(result.code).toBe(2);
  expect(cli.transport.armed).toEqual([]);
});

test('--config twice is refused, exit 2', async () => {
  for (const line of [['--config', 'a', '--config', 'b', 'list'], ['--config=a', 'list', '--config', 'b'], ['ok', '-n', '--config', 'a', '--config=b']]) {
    const result = await cli.knock(...line);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'knock: option --config given more than once\n' });
  }
});

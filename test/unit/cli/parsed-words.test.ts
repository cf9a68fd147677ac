// What yargs makes of words it allows but knock does not declare: a positional's name as an
// option, a negated value option, a dotted option, a single-value option given twice. Each of
// these reached a command as a list, an object or false and crashed it (exit 70, a stack).
import { setupCli } from '../../helpers/run-cli.js';

const STORE = 'profiles:\n  box:\n    host: 198.18.0.2\n    open: [7000, 7001]\n  other:\n    host: 198.18.0.3\n    open: [7002]\n';

test.each([
  [['--knocks', '7002:udp', '-n'], 'unknown option --knocks (see knock --help)'],
  [['--target', 'box', '-n'], 'unknown option --target (see knock --help)'],
  [['box', '--target=other', '-n'], 'unknown option --target (see knock --help)'],
  [['lint', '--name', 'box', '--name', 'other'], 'unknown option --name (see knock lint --help)'],
  [['show', 'box', '--name', 'other'], 'unknown option --name (see knock show --help)'],
  [['add', 'x', '198.18.0.4', '1', '--knocks', '2'], 'unknown option --knocks (see knock add --help)'],
  [['proxy', 'box', '22', '--no-host'], 'unknown option --no-host (see knock proxy --help)'],
  [['box', '-n', '--no-config'], 'unknown option --no-config (--config takes a value; see knock --help)'],
  [['box', '-n', '--no-wait'], 'unknown option --no-wait (--wait takes a value; see knock --help)'],
  [['--config.x', 'a', 'list'], 'unknown option --config.x; did you mean --config? (see knock list --help)'],
  [['box', '-n', '--json.x'], 'unknown option --json.x; did you mean --json? (see knock --help)'],
  [['box', '-n', '--wait.x', '22'], 'unknown option --wait.x; did you mean --wait? (see knock --help)'],
])('knock %j: exit 2, one line, no stack', async (argv, message) => {
  const { knock, transport, restore } = setupCli(STORE);
  const result = await knock(...argv);
  restore();
  expect(result).toEqual({ code: 2, stdout: '', stderr: `knock: ${message}\n` });
  expect(transport.armed).toEqual([]);
});

test('a single-value option given twice counts once, the last, as a number option does', async () => {
  const { knock, restore } = setupCli(STORE);
  const wait = await knock('box', '-n', '--wait', '22', '--wait', 'abc');
  const timeout = await knock('box', '-n', '--wait', '22', '--wait-timeout', '1', '--wait-timeout', '-5');
  const rules = await knock('rules', 'box', '-f', 'iptables', '-f', 'nftables', '-p', '1', '-p', '2');
  restore();
  expect(wait).toEqual({ code: 2, stdout: '', stderr: "knock: --wait: 'abc' is not a port number (1-65535)\n" });
  expect(timeout).toEqual({ code: 2, stdout: '', stderr: 'knock: --wait-timeout -5 must be a number of seconds > 0\n' });
  expect(rules.code).toBe(0);
  expect(rules.stdout).toMatch(/nftables/);
  expect(rules.stdout).toMatch(/Guards TCP port 2 /);
});

test('--config given twice stays refused; -g, which adds, and --close, a list, keep every value', async () => {
  const { knock, restore } = setupCli(STORE);
  expect(await knock('--config', 'a', '--config', 'b', 'list')).toEqual({ code: 2, stdout: '', stderr: 'knock: option --config given more than once\n' });
  const added = await knock('--json', 'add', 'x', '198.18.0.4', '1', '2', '-g', 'a', '--group', 'b', '--close', '3', '4', '--close', '5');
  const shown = await knock('--json', 'show', 'x');
  restore();
  expect(added.code).toBe(0);
  expect(JSON.parse(added.stdout).groups).toEqual(['a', 'b']);
  expect(JSON.parse(shown.stdout).close).toEqual(['3', '4', '5']);
});

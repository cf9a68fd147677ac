// The built bin/knock gives the same exit code, stdout and stderr whether a line takes the fast
// path or yargs' (the same line spelled so that only yargs takes it: grouped letters, `--`, `=`).
// test/unit/cli/fast-path.test.ts compares the two parsers on seeded lines; this is the spot check.
import { runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeAll(() => {
  home = new TempHome();
  home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [1, "2:udp"]\n');
});
afterAll(() => home.cleanup());

// [fast line, the same line as only yargs reads it]
const PAIRS: [string[], string[]][] = [
  [['-n', 'door'], ['-n', '--', 'door']],
  [['-n', '-q', 'door'], ['-nq', 'door']],
  [['--json', '-n', 'door'], ['-n', '--json', '--', 'door']],
  [['-n', '-d', '50', '127.0.0.1', '7000', '8000:udp'], ['-n', '--delay=50', '127.0.0.1', '7000', '8000:udp']],
  [['-n', '-u', '--ttl', '9', '127.0.0.1', '7000'], ['-nu', '--ttl=9', '127.0.0.1', '7000']],
  [['nothere'], ['--', 'nothere']],
  // Issue 22, class 3: the target `false`, whose knock `door` is no knock (exit 2).
  [['-n', '-v', 'false', 'door'], ['-nv', 'false', 'door']],
  [['proxy', '--connect-timeout', 'abc', 'door', '22'], ['proxy', '--connect-timeout=abc', 'door', '22']],
];

test.each(PAIRS)('%j and %j give the same result', async (fast, slow) => {
  const [a, b] = await Promise.all([runKnock(fast, { env: home.env }), runKnock(slow, { env: home.env })]);
  expect(a).toEqual(b);
  // The check can fail: the runs said something.
  expect(a.stdout + a.stderr).not.toBe('');
});

// --help and --version from the built binary: stdout, exit 0, the package's version.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(await runKnock(['--version'], { env: home.env })).toEqual({ code: 0, signal: null, stdout: `${version}\n`, stderr: '' });
});

test('--help lists the commands, the knock(1) flags and examples, on stdout', async () => {
  for (const flag of ['--help', '-h']) {
    const result = await runKnock([flag], { env: home.env });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const text of ['knock open <target>', 'knock close <target>', 'knock list', '-u, --udp', '-d, --delay', '--dry-run', '--json', 'Examples:', 'Exit status:']) {
      expect(result.stdout).toContain(text);
    }
  }
});

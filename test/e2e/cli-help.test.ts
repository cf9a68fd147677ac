// --help and --version from the built binary: stdout, exit 0, the package's version.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());

test('--version and -V (knock(1)) print the package version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    expect(await runKnock([flag], { env: home.env })).toEqual({ code: 0, signal: null, stdout: `${version}\n`, stderr: '' });
  }
});

test("knock(1)'s --ipv4 and --ipv6 are -4 and -6", async () => {
  const v4 = await runKnock(['--ipv4', '-n', 'localhost', '1'], { env: home.env });
  expect(v4).toMatchObject({ code: 0, stderr: '' });
  expect(v4.stdout).toMatch(/\(IPv4\)/);
  expect(await runKnock(['--ipv6', '-n', '127.0.0.1', '1'], { env: home.env })).toMatchObject({ code: 2, stderr: "knock: '127.0.0.1' is an IPv4 address but -6 was given\n" });
});

/** Each command's own options, as its help must show them, with an example. */
const OWN: Record<string, string[]> = {
  open: ['-d, --delay', '-n, --dry-run', '--wait'],
  close: ['-d, --delay', '-n, --dry-run'],
  list: [],
  show: [],
  add: ['--close', '-d, --delay', '--seq-timeout', '-p, --port', '--open-for', '--ttl', '--source', '-g, --group', '--description', '-f, --force'],
  remove: [],
  group: [],
  import: ['--host', '-f, --force', '-n, --dry-run'],
  lint: ['--probe'],
  proxy: ['--connect-timeout'],
  'ssh-config': ['--add'],
  serve: ['--bind', '--knockd-conf'],
  completion: [],
};

test.each(Object.entries(OWN))('knock %s --help: its own options, the global ones apart, and an example', async (command, own) => {
  const r = await runKnock([command, '--help'], { env: home.env, cwd: home.dir });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  for (const flag of own) expect(r.stdout).toContain(flag);
  expect(r.stdout).toMatch(/\nGlobal options:\n/);
  expect(r.stdout).toMatch(new RegExp(`\nExamples:\n +.*knock ${command === 'proxy' ? 'proxy %n' : command}`));
  expect(r.stdout).not.toContain('[default: []]');
  // Options of the default command are not every command's.
  if (!own.includes('-n, --dry-run')) expect(r.stdout).not.toContain('--dry-run');
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

test("--config's help says where knock looks, not 'the usual search' (knock does not search)", async () => {
  const r = await runKnock(['--help'], { env: home.env });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const text = r.stdout.replace(/\s+/g, ' ');
  expect(text).not.toContain('usual search');
  expect(text).toMatch(/--config .*\$KNOCK_CONFIG/);
});

test("the README's ssh block gives ProxyCommand an absolute path, as ssh-config --add writes, and says why", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const commands = [...readme.matchAll(/^\s*ProxyCommand (\S+) proxy/gm)].map((m) => m[1]);
  expect(commands.length).toBeGreaterThan(0);
  for (const command of commands) expect(command).toMatch(/^\//);
  expect(readme).toMatch(/\/usr\/bin\/knock/);
  expect(readme).toMatch(/cosmiconfig 9 reads a\s+meta config from the working directory/);
});

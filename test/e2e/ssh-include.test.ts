// Include in ~/.ssh/config, as ssh reads it: knock's view of each alias checked against real ssh -G.
import { existsSync } from 'node:fs';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TempHome, runKnock, runProcess } from '../helpers/run-knock.js';

let home: TempHome;
afterEach(() => home.cleanup());

const sshFile = () => path.join(home.dir, '.ssh', 'config');
const marker = () => path.join(home.dir, 'match-exec-ran');

async function sshHostName(alias: string): Promise<string> {
  const result = await runProcess('ssh', ['-G', '-F', sshFile(), alias], { env: home.env });
  expect(result.stderr.replace(/Pseudo-terminal.*\s*/, '')).toBe('');
  return /^hostname (.*)$/m.exec(result.stdout)![1]!;
}

function writeTree(): void {
  home.writeFile(
    '.ssh/config',
    [
      'Include conf.d/*.conf',
      'Host bastion',
      '  HostName 198.18.0.1',
      'Host door',
      '  Include door.d/*',
      '  User after',
      'Host nomatch',
      '  Include never.conf',
      `Match exec "touch ${marker()}; false"`,
      '  HostName 198.18.9.9',
      'Host *',
      '  Include ~/.ssh/wild',
      '',
    ].join('\n'),
  );
  home.writeFile('.ssh/conf.d/10-work.conf', 'Host work\n  HostName 198.18.0.7\nHost Work\n  HostName 198.18.0.99\n', 0o644);
  home.writeFile('.ssh/conf.d/20-lab.conf', 'Host lab lab2\n  Include nested/deeper\n');
  home.writeFile('.ssh/conf.d/.hidden.conf', 'Host hidden\n  HostName 198.18.0.14\n');
  home.writeFile('.ssh/nested/deeper', 'HostName 198.18.0.8\n');
  home.writeFile('.ssh/door.d/a', 'HostName 198.18.0.10\n');
  home.writeFile('.ssh/never.conf', 'Host inc-never\n  HostName 198.18.0.11\n');
  home.writeFile('.ssh/wild', 'Host wild-*\n  HostName 198.18.0.13\n');
}

const ALIASES = ['work', 'lab2', 'door', 'bastion', 'wild-1'];
/** Named only in files ssh does not apply for them (under Host nomatch; a dot file that *.conf skips). */
const NOT_APPLIED = ['inc-never', 'hidden'];

test("each alias knocks where ssh -G says it connects (globs, nesting, ~, Include inside Host blocks); Match exec is never run", async () => {
  home = new TempHome();
  writeTree();
  // Profiles named after the aliases, without a host: the address comes from the ssh config.
  home.writeConfig(`profiles:\n${[...ALIASES, ...NOT_APPLIED].map((a) => `  ${a}:\n    open: [1111]\n`).join('')}`);
  const knockSees: Record<string, string> = {};
  for (const alias of ALIASES) {
    const result = await runKnock(['-n', '--json', alias], { env: home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    knockSees[alias] = JSON.parse(result.stdout).host;
  }
  for (const alias of NOT_APPLIED) {
    // A dry run still shows the plan of a name that does not resolve, and says why it did not.
    const result = await runKnock(['-n', alias], { env: home.env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^knock: warning: cannot resolve '${alias}'.*gives it no HostName\\); the plan shows the name`));
    expect(result.stdout).toMatch(new RegExp(`^open ${alias}: ${alias} \\(not resolved\\)`));
  }
  expect(existsSync(marker())).toBe(false);
  for (const alias of NOT_APPLIED) expect(await sshHostName(alias)).toBe(alias);
  const sshSees: Record<string, string> = {};
  for (const alias of ALIASES) sshSees[alias] = await sshHostName(alias);
  expect(knockSees).toEqual(sshSees);
  // And the values are the ones the tree means, so the comparison is not vacuous.
  expect(knockSees).toEqual({ work: '198.18.0.7', lab2: '198.18.0.8', door: '198.18.0.10', bastion: '198.18.0.1', 'wild-1': '198.18.0.13' });
});

test('an alias defined only in an included file finds the profile of its HostName', async () => {
  home = new TempHome();
  writeTree();
  home.writeConfig('profiles:\n  office:\n    host: 198.18.0.7\n    open: [1111]\n');
  const result = await runKnock(['-n', '--json', 'work'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ profile: 'office', target: 'work', address: '198.18.0.7' });
});

test('an included file writable by others, or an Include loop: knock refuses as ssh does (exit 2, the file named)', async () => {
  home = new TempHome();
  writeTree();
  home.writeConfig('profiles:\n  work:\n    open: [1111]\n');
  chmodSync(path.join(home.dir, '.ssh/conf.d/10-work.conf'), 0o646);
  const bad = await runKnock(['-n', 'work'], { env: home.env });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^knock: .*conf\.d\/10-work\.conf is writable by others \(mode 0646\).*ssh refuses/);
  const ssh = await runProcess('ssh', ['-G', '-F', sshFile(), 'work'], { env: home.env });
  expect(ssh.code).not.toBe(0);
  expect(ssh.stderr).toMatch(/Bad owner or permissions on .*10-work\.conf/);

  home.writeFile('.ssh/config', 'Include config\n');
  const loop = await runKnock(['-n', 'work'], { env: home.env });
  expect(loop.code).toBe(2);
  expect(loop.stderr).toMatch(/^knock: .*\.ssh\/config line 1: more than 16 nested Includes/);
  const sshLoop = await runProcess('ssh', ['-G', '-F', sshFile(), 'work'], { env: home.env });
  expect(sshLoop.stderr).toMatch(/Too many recursive configuration includes/);
});

describe('ssh-config --add with Include', () => {
  beforeEach(() => {
    home = new TempHome();
    home.writeConfig('profiles:\n  door:\n    host: 198.18.0.2\n    open: [1111]\n');
  });

  test('an included ProxyJump for the name: refused (exit 2, where it is), and ssh -G still shows it', async () => {
    const original = 'Include conf.d/*\n\nHost other\n  User x\n';
    home.writeFile('.ssh/config', original);
    home.writeFile('.ssh/conf.d/jump', '# jump hosts\nHost door\n  ProxyJump bastion\n');
    const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`knock: ${path.join(home.dir, '.ssh/conf.d/jump')} line 3: Host door already has ProxyJump bastion, which ssh would use with a ProxyCommand; not changed\n`);
    expect(readFileSync(sshFile(), 'utf8')).toBe(original);
    const ssh = await runProcess('ssh', ['-G', '-F', sshFile(), 'door'], { env: home.env });
    expect(ssh.stdout).toMatch(/^proxyjump bastion$/m);
  });

  test('a Host block for the name in an included file: no second block; it says where', async () => {
    const original = 'Include conf.d/*\n';
    home.writeFile('.ssh/config', original);
    home.writeFile('.ssh/conf.d/door', 'Host door\n  HostName 198.18.0.2\n');
    const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^knock: ${path.join(home.dir, '.ssh/conf.d/door')} line 1: Host door is defined there \\(included from .*\\.ssh/config\\); add 'ProxyCommand .* proxy %n %p' to that block yourself; not changed\\n$`));
    expect(readFileSync(sshFile(), 'utf8')).toBe(original);
  });

  test('an Include that does not concern the name: the block is added and ssh -G uses it', async () => {
    home.writeFile('.ssh/config', 'Include conf.d/*\nHost other\n  User x\n');
    home.writeFile('.ssh/conf.d/x', 'Host unrelated\n  ProxyJump bastion\n');
    const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ssh = await runProcess('ssh', ['-G', '-F', sshFile(), 'door'], { env: home.env });
    expect(ssh.stdout).toMatch(/^proxycommand .*knock proxy %n %p$/m);
  });
});

// knock ssh-config: the printed block, and --add editing ~/.ssh/config without clobbering,
// checked with OpenSSH's own reading of the result (ssh -G).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { KNOCK_BIN, TempHome, runKnock, runProcess } from '../helpers/run-knock.js';

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
  home.writeConfig('profiles:\n  door:\n    host: 198.18.0.2\n    port: 2222\n    open: [1111, 2222]\n    close: [3333]\n');
});
afterEach(() => home.cleanup());

const sshFile = () => path.join(home.dir, '.ssh', 'config');
const backups = () => readdirSync(path.dirname(sshFile())).filter((f) => f.includes('knock-backup'));
const ourProxyCommand = `${KNOCK_BIN} proxy %n %p`;

/** What OpenSSH makes of the config for `alias` (ssh -G), as key -> value. */
async function sshSees(alias: string): Promise<Record<string, string>> {
  const result = await runProcess('ssh', ['-G', '-F', sshFile(), alias], { env: home.env });
  expect(result.code).toBe(0);
  return Object.fromEntries(result.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

test('prints a Host block with the absolute path of this knock', async () => {
  const result = await runKnock(['ssh-config', 'door'], { env: home.env });
  // This machine's OpenSSH (>= 5.5) takes the socket from the proxy; the note says so.
  expect(result.stderr).toBe('ProxyUseFdpass yes: knock knocks, connects and hands the connection to ssh, which then talks to the server itself\n');
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`Host door\n  HostName 198.18.0.2\n  Port 2222\n  ProxyCommand ${ourProxyCommand}\n  ProxyUseFdpass yes\n`);
  expect(path.isAbsolute(KNOCK_BIN)).toBe(true);
  expect(existsSync(sshFile())).toBe(false);
});

test('--add creates ~/.ssh/config (0600) when there is none; a second --add changes nothing', async () => {
  const first = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toBe(`${sshFile()}: added Host door; ProxyUseFdpass yes: knock knocks, connects and hands the connection to ssh, which then talks to the server itself\n`);
  expect(statSync(sshFile()).mode & 0o777).toBe(0o600);
  const seen = await sshSees('door');
  expect([seen.hostname, seen.port, seen.proxycommand, seen.proxyusefdpass]).toEqual(['198.18.0.2', '2222', ourProxyCommand, 'yes']);
  const again = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/already uses this ProxyCommand; nothing to do/);
  expect(backups()).toEqual([]);
});

test('--add on a block knock wrote before it passed sockets adds just ProxyUseFdpass', async () => {
  const older = `Host door\n  HostName 198.18.0.2\n  Port 2222\n  ProxyCommand ${ourProxyCommand}\n`;
  home.writeFile('.ssh/config', older, 0o600);
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/: added ProxyUseFdpass to Host door \(backup: /);
  expect(readFileSync(sshFile(), 'utf8')).toBe(`${older}  ProxyUseFdpass yes\n`);
  expect((await sshSees('door')).proxyusefdpass).toBe('yes');
});

test('--add keeps every existing line, backs the file up, and puts the block before Host *', async () => {
  const original = '# mine\nHost other\n  User alice\n\nHost *\n  ServerAliveInterval 30\n  ProxyJump none\n';
  home.writeFile('.ssh/config', original, 0o640);
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const text = readFileSync(sshFile(), 'utf8');
  expect(text).toBe(`# mine\nHost other\n  User alice\n\nHost door\n  HostName 198.18.0.2\n  Port 2222\n  ProxyCommand ${ourProxyCommand}\n  ProxyUseFdpass yes\n\nHost *\n  ServerAliveInterval 30\n  ProxyJump none\n`);
  expect(statSync(sshFile()).mode & 0o777).toBe(0o640);
  expect(backups()).toHaveLength(1);
  expect(readFileSync(path.join(path.dirname(sshFile()), backups()[0]!), 'utf8')).toBe(original);
  expect((await sshSees('door')).proxycommand).toBe(ourProxyCommand);
  expect((await sshSees('other')).user).toBe('alice');
});

test('--add completes an existing Host block of that name, keeping its own HostName', async () => {
  home.writeFile('.ssh/config', 'Host door\n  HostName door.example\n  User bob\nHost *\n  ServerAliveInterval 30');
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/: added Port, ProxyCommand, ProxyUseFdpass to Host door \(backup: .*config\.knock-backup\); ProxyUseFdpass yes: .*\n$/);
  const seen = await sshSees('door');
  expect([seen.hostname, seen.user, seen.port, seen.proxycommand, seen.serveraliveinterval]).toEqual(['door.example', 'bob', '2222', ourProxyCommand, '30']);
});

test.each([
  ['its own block', 'Host door\n  ProxyCommand nc %h %p\n', /Host door already has ProxyCommand nc %h %p; not changed/],
  ['a wildcard block', 'Host *\n  ProxyCommand nc %h %p\n', /Host door already has ProxyCommand nc %h %p; not changed/],
  ['a ProxyJump', 'Host door\n  ProxyJump bastion\n', /Host door already has ProxyJump bastion/],
])('--add refuses when ssh would already proxy the host (%s): exit 2, file untouched, no backup', async (_name, original, message) => {
  home.writeFile('.ssh/config', original);
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr.split('\n')).toHaveLength(2);
  expect(readFileSync(sshFile(), 'utf8')).toBe(original);
  expect(backups()).toEqual([]);
});

test('an unknown profile: exit 2, nothing written', async () => {
  const result = await runKnock(['ssh-config', 'nosuch', '--add'], { env: home.env });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^knock: unknown profile 'nosuch'/);
  expect(existsSync(sshFile())).toBe(false);
});

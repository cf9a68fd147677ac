// ssh-config --add as a careful editor of the user's file: symlinks, line ends, mode, indentation,
// one backup, OpenSSH's ownership rule, and a full disk.
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KNOCK_BIN, TempHome, runKnock, runProcess } from '../helpers/run-knock.js';

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
  home.writeConfig('profiles:\n  door:\n    host: 198.18.0.2\n    open: [1111]\n  gate:\n    host: 198.18.0.3\n    open: [2222]\n');
});
afterEach(() => home.cleanup());

const sshDir = () => path.join(home.dir, '.ssh');
const sshFile = () => path.join(sshDir(), 'config');
const ours = `${KNOCK_BIN} proxy %n %p`;
const isRoot = process.getuid?.() === 0;

async function sshProxyCommand(alias: string): Promise<string | undefined> {
  const result = await runProcess('ssh', ['-G', '-F', sshFile(), alias], { env: home.env });
  return /^proxycommand (.*)$/m.exec(result.stdout)?.[1];
}

test('a symlinked config (dotfiles) is edited at its target; the link stays a link', async () => {
  const target = home.writeFile('dotfiles/ssh/config', 'Host other\n  User x\n');
  mkdirSync(sshDir(), { recursive: true });
  symlinkSync('../dotfiles/ssh/config', sshFile());
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`${sshFile()} (-> ${target}): added Host door (backup: ${sshFile()}.knock-backup); ProxyUseFdpass yes: knock knocks, connects and hands the connection to ssh, which then talks to the server itself\n`);
  expect(lstatSync(sshFile()).isSymbolicLink()).toBe(true);
  expect(readFileSync(target, 'utf8')).toMatch(/^Host other\n  User x\n\nHost door\n/);
  expect(await sshProxyCommand('door')).toBe(ours);
  expect(readdirSync(path.dirname(target))).toEqual(['config']);
});

test('CRLF stays CRLF, 4-space indentation is matched, mode 0640 stays 0640 under umask 077', async () => {
  home.writeFile('.ssh/config', 'Host other\r\n    User x\r\n', 0o640);
  const result = await runProcess('sh', ['-c', 'umask 077; exec "$0" "$@"', process.execPath, KNOCK_BIN, 'ssh-config', 'door', '--add'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(readFileSync(sshFile(), 'utf8')).toBe(`Host other\r\n    User x\r\n\r\nHost door\r\n    HostName 198.18.0.2\r\n    ProxyCommand ${ours}\r\n    ProxyUseFdpass yes\r\n`);
  expect(statSync(sshFile()).mode & 0o7777).toBe(0o640);
  expect(await sshProxyCommand('door')).toBe(ours);
});

test('one backup, replaced on each edit (the file as it was before the last edit)', async () => {
  home.writeFile('.ssh/config', 'Host other\n  User x\n');
  expect((await runKnock(['ssh-config', 'door', '--add'], { env: home.env })).code).toBe(0);
  const afterFirst = readFileSync(sshFile(), 'utf8');
  expect((await runKnock(['ssh-config', 'gate', '--add'], { env: home.env })).code).toBe(0);
  expect(readdirSync(sshDir()).sort()).toEqual(['config', 'config.knock-backup']);
  expect(readFileSync(`${sshFile()}.knock-backup`, 'utf8')).toBe(afterFirst);
  expect(statSync(`${sshFile()}.knock-backup`).mode & 0o777).toBe(0o600);
});

test('a config writable by others is refused, as ssh refuses to read it: exit 2, untouched', async () => {
  const original = 'Host other\n  User x\n';
  chmodSync(home.writeFile('.ssh/config', original), 0o666);
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^knock: .*\.ssh\/config is writable by others \(mode 0666\): ssh refuses such a file/);
  expect(readFileSync(sshFile(), 'utf8')).toBe(original);
  expect(readdirSync(sshDir())).toEqual(['config']);
});

(isRoot ? test : test.skip)('a config owned by another user is refused (needs root to chown)', async () => {
  const original = 'Host other\n  User x\n';
  home.writeFile('.ssh/config', original, 0o644);
  chownSync(sshFile(), 65534, 65534);
  const result = await runKnock(['ssh-config', 'door', '--add'], { env: home.env });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^knock: .*\.ssh\/config is owned by uid 65534, not by you \(uid 0\) or root/);
  expect(readFileSync(sshFile(), 'utf8')).toBe(original);
});

// A small tmpfs as ~/.ssh in a private mount namespace: the backup fits, the new config does not.
(isRoot ? test : test.skip)('a full disk: exit 1 naming ENOSPC, the config whole, no temp file left', async () => {
  const original = '# padding\n'.repeat(4000) + 'Host other\n  User x\n';
  writeFileSync(path.join(home.dir, 'original'), original);
  mkdirSync(sshDir(), { recursive: true });
  const script = [
    'set -e',
    'mount -t tmpfs -o size=256k,mode=0700 tmpfs "$HOME/.ssh"',
    'cp "$HOME/original" "$HOME/.ssh/config"; chmod 600 "$HOME/.ssh/config"',
    'dd if=/dev/zero of="$HOME/.ssh/filler" bs=4096 2>/dev/null || true',
    // Room for the backup (10 pages) and a little more, not for the new config as well.
    'truncate -s -49152 "$HOME/.ssh/filler"',
    'set +e',
    `"${process.execPath}" "${KNOCK_BIN}" ssh-config door --add; echo "rc=$?"`,
    'rm -f "$HOME/.ssh/filler"; ls -A "$HOME/.ssh"; cmp "$HOME/original" "$HOME/.ssh/config" && echo same',
  ].join('\n');
  const result = await runProcess('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { env: home.env, timeoutMs: 20000 });
  expect(result.stderr).toMatch(/^knock: cannot update .*\.ssh\/config: .*ENOSPC/);
  expect(result.stdout.split('\n').filter(Boolean)).toEqual(['rc=1', 'config', 'config.knock-backup', 'same']);
});

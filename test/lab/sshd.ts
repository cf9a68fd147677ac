// A real OpenSSH server in a namespace, with throwaway host and user keys, for ProxyCommand
// tests and the bench. Root logs in with the generated key only.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from './netns.js';

export interface Sshd {
  dir: string;
  /** The client's private key (ssh -i). */
  userKey: string;
  child: ChildProcess;
  stop(): void;
}

export async function startSshd(lab: Lab, ns: string, listen: string, port = 22): Promise<Sshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'user_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')));
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${listen}`,
      `Port ${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PidFile none',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      // scp speaks SFTP since OpenSSH 9.0.
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation needs this directory (Debian creates it at boot only).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = lab.spawn(ns, '/usr/sbin/sshd', ['-D', '-e', '-o', 'LogLevel=INFO', '-f', config]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${err}`)), 10000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}): ${err}`));
    });
  });
  return {
    dir,
    userKey: path.join(dir, 'user_key'),
    child,
    stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** ssh options for a throwaway client: no known_hosts, no prompts, only our key. */
export function sshClientOptions(userKey: string): string[] {
  return [
    '-i', userKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
  ];
}

// A throwaway sshd for the ssh benches and the lab tests (test/lab/sshd.ts): host and user keys
// in DIR, root logs in with the user key only, started by `run(args)` (directly, or inside a
// namespace) and awaited until it listens.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export async function startSshd(dir, { listen, port = 22, run }) {
  const keygen = (file) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
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
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation needs this directory (Debian creates it at boot only).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = run(['-D', '-e', '-f', config]);
  await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${err}`)), 10000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
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
  return child;
}

// Which OpenSSH the user's `ssh` is (ssh -V), for options only some versions know.
import { spawnSync } from 'node:child_process';

export interface SshVersion {
  /** What ssh -V printed, first line. */
  text: string;
  major: number;
  minor: number;
}

export function parseSshVersion(output: string): SshVersion | undefined {
  const text = output.split('\n')[0]?.trim() ?? '';
  const m = /OpenSSH_for_Windows_(\d+)\.(\d+)|OpenSSH_(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  const [major, minor] = m[1] !== undefined ? [m[1], m[2]] : [m[3], m[4]];
  return { text, major: Number(major), minor: Number(minor) };
}

/** ssh -V (it prints to stderr), or undefined when there is no ssh to ask. */
export function localSshVersion(run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 })): SshVersion | undefined {
  try {
    const result = run('ssh', ['-V']);
    return parseSshVersion(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  } catch {
    return undefined;
  }
}

/** ProxyUseFdpass came with OpenSSH 5.5. */
export function knowsProxyUseFdpass(version: SshVersion): boolean {
  return version.major > 5 || (version.major === 5 && version.minor >= 5);
}

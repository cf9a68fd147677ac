// A real OpenSSH server in a namespace, with throwaway host and user keys, for ProxyCommand
// tests: the bench's sshd set-up (bench/lib/sshd.mjs), run in the lab's namespace.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from './netns.js';
import { startSshd as startSshdIn } from '../../bench/lib/sshd.mjs';

export interface Sshd {
  dir: string;
  /** The client's private key (ssh -i). */
  userKey: string;
  child: ChildProcess;
  stop(): void;
}

export async function startSshd(lab: Lab, ns: string, listen: string, port = 22): Promise<Sshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-sshd-'));
  const child = await startSshdIn(dir, { listen, port, run: (args) => lab.spawn(ns, '/usr/sbin/sshd', args) });
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

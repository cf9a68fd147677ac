// Types of sshd.mjs, for the lab's sshd (test/lab/sshd.ts).
import type { ChildProcess } from 'node:child_process';

export function startSshd(dir: string, options: { listen: string; port?: number; run: (args: string[]) => ChildProcess }): Promise<ChildProcess>;

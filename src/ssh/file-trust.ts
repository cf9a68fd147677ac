// OpenSSH's rule for the files it reads as ssh_config (readconf.c, SSHCONF_CHECKPERM): owned by
// the user or root, and writable by nobody else: the guarded-file layer's rule (files/guard.ts)
// with ssh's words. A file ssh refuses, knock neither reads nor edits.
import { fileProblem, SSH_CONFIG_RULES } from '../files/guard.js';

export interface FileOwner {
  uid: number;
  mode: number;
}

/** Why ssh would refuse `file`, or undefined when it is trusted; `uid` is ours (undefined: no uids, Windows). */
export function untrustedReason(file: string, stat: FileOwner, uid: number | undefined): string | undefined {
  return fileProblem(file, stat, { uid, home: '/' }, SSH_CONFIG_RULES);
}

// OpenSSH's rule for the files it reads as ssh_config (readconf.c, SSHCONF_CHECKPERM): owned by
// the user or root, and writable by nobody else. A file ssh refuses, knock neither reads nor edits.

export interface FileOwner {
  uid: number;
  mode: number;
}

/** Why ssh would refuse `file`, or undefined when it is trusted; `uid` is ours (undefined: no uids, Windows). */
export function untrustedReason(file: string, stat: FileOwner, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  if (stat.uid !== uid && stat.uid !== 0) return `${file} is owned by uid ${stat.uid}, not by you (uid ${uid}) or root: ssh refuses such a file ("Bad owner or permissions"), and so does knock`;
  if (stat.mode & 0o022) {
    const who = stat.mode & 0o002 ? 'others' : 'the group';
    return `${file} is writable by ${who} (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): ssh refuses such a file ("Bad owner or permissions"), and so does knock; chmod go-w it`;
  }
  return undefined;
}

export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

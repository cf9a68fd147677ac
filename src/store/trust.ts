// Which store files knock trusts, as OpenSSH's StrictModes does: the file and every directory
// above it owned by the user (or root) and not writable by group or others, or it is refused.
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';

export interface TrustOptions {
  /** The user knock runs as; undefined where POSIX owners mean nothing (Windows). */
  uid: number | undefined;
  /** The climb stops after home, as OpenSSH's safe_path does: above it is the admin's. */
  home: string;
}

export function processTrust(home: string): TrustOptions {
  return { uid: process.platform === 'win32' ? undefined : process.getuid?.(), home };
}

const STICKY = 0o1000;

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

function whoCanWrite(mode: number): string {
  return [mode & 0o020 ? 'group' : '', mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
}

const trusted = (owner: number, uid: number) => owner === uid || owner === 0;

/** Refuses a store file (stat of the opened fd) that another user owns or could change. */
export function checkStoreStat(file: string, st: Pick<Stats, 'uid' | 'mode'>, trust: TrustOptions, linkedFrom?: string): void {
  if (trust.uid === undefined) return;
  const name = printable(file);
  const link = linkedFrom ? ` (the store ${printable(linkedFrom)} links to it)` : '';
  if (!trusted(st.uid, trust.uid)) {
    throw new ConfigError(
      `${name}${link} is owned by uid ${st.uid}, not by you (uid ${trust.uid}) or root: knock will not knock from or write to another user's store; remove it, or chown it if it is yours`,
    );
  }
  if (st.mode & 0o022) {
    throw new ConfigError(
      `${name}${link} is writable by ${whoCanWrite(st.mode)} (mode ${octal(st.mode)}), so anyone could change where knock knocks: chmod 600 ${name}`,
    );
  }
}

/**
 * Refuses a directory on the way to `file` that another user owns, or that group or others
 * can write without the sticky bit (with it, as in /tmp, they cannot replace what is ours).
 */
export async function checkStoreDirs(file: string, trust: TrustOptions): Promise<void> {
  if (trust.uid === undefined) return;
  const home = path.resolve(trust.home);
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const st = await fs.stat(dir);
    const name = printable(dir);
    if (!trusted(st.uid, trust.uid)) {
      throw new ConfigError(
        `${name} (a directory above the store ${printable(file)}) is owned by uid ${st.uid}, not by you or root, so its owner could replace the store: keep the store in a directory of yours`,
      );
    }
    if (st.mode & 0o022 && !(st.mode & STICKY)) {
      throw new ConfigError(
        `${name} (a directory above the store ${printable(file)}) is writable by ${whoCanWrite(st.mode)} (mode ${octal(st.mode)}), so they could replace the store: chmod go-w ${name}`,
      );
    }
    const up = path.dirname(dir);
    if (dir === home || up === dir) return;
    dir = up;
  }
}

/**
 * Checks the directories both of the path as given and of what it resolves to, so that
 * neither the link nor its target can be swapped by someone else.
 */
export async function checkStorePath(given: string, real: string, trust: TrustOptions): Promise<void> {
  await checkStoreDirs(real, trust);
  if (path.dirname(path.resolve(given)) !== path.dirname(real)) {
    const linkDir = await fs.realpath(path.dirname(path.resolve(given)));
    await checkStoreDirs(path.join(linkDir, path.basename(given)), trust);
  }
}

// Editing ~/.ssh/config with OpenSSH's care: only a file ssh itself would trust, through a
// symlink to its target, one backup, the new text written beside it (exact mode, fsynced) and
// renamed over it, no temp file left behind on failure, nothing written if the file changed meanwhile.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, RuntimeError, reasonOf } from '../shared/errors.js';
import { parseSshLines } from './config-lines.js';
import { localUserName } from './config.js';
import { evaluateFor } from './evaluate.js';
import { currentUid, untrustedReason } from './file-trust.js';
import { addHostBlock, type AddOutcome, type HostBlock } from './host-block.js';
import { loadConfigTree, type SshConfigFile, type SshTreeLine } from './include.js';

export interface FileEdit {
  outcome: AddOutcome;
  /** The copy of the file as it was before this edit, when there was one. */
  backup?: string;
  /** The file written, when `file` is a symlink: its target. */
  target?: string;
}

export interface EditOptions {
  homedir: string;
  /** Our uid (undefined: a system without uids). */
  uid?: number | undefined;
  localUser?: string;
}

/** The one backup kept beside the file (each edit replaces it with the file as it was). */
export function backupPathOf(file: string): string {
  return `${file}.knock-backup`;
}

export async function addToSshConfigFile(file: string, block: HostBlock, options: EditOptions): Promise<FileEdit> {
  const uid = 'uid' in options ? options.uid : currentUid();
  const target = await targetOf(file);
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${reasonOf(error)}`);
  });
  if (info) {
    const untrusted = untrustedReason(file, info, uid);
    if (untrusted) throw new ConfigError(untrusted);
    // Renaming a new file over one owned by root would hand it to us: leave that to root.
    if (uid !== undefined && info.uid !== uid) throw new ConfigError(`${file} is owned by uid ${info.uid}, not by you (uid ${uid}): knock edits only your own ssh config; not changed`);
  }
  const before = info ? await readFile(target, 'utf8').catch((error: unknown) => {
    throw new RuntimeError(`cannot read ${file}: ${reasonOf(error)}`);
  }) : undefined;

  const tree = await loadConfigTree(file, { homedir: options.homedir, uid }, before ?? '');
  const localUser = options.localUser ?? localUserName();
  const outcome = addHostBlock(before ?? '', file, block, (text) => evaluateFor(withMainText(tree!, text), block.alias, { localUser }));
  if (outcome.kind === 'unchanged') return { outcome };

  const via = target === file ? {} : { target };
  try {
    if (!info) {
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await writeBeside(target, outcome.text, 0o600, async () => {
        if ((await readIfExists(target)) !== undefined) throw new RuntimeError(`${file} appeared while knock was writing it; nothing written`);
      });
      return { outcome, ...via };
    }
    const mode = info.mode & 0o7777;
    const backup = backupPathOf(file);
    await writeBeside(backup, before!, 0o600);
    await writeBeside(target, outcome.text, mode, async () => {
      if ((await readIfExists(target)) !== before) throw new RuntimeError(`${file} changed while knock was editing it; nothing written`);
    });
    return { outcome, backup, ...via };
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`cannot update ${file}: ${reasonOf(error)}`);
  }
}

/** A symlinked config (dotfiles) is edited where it lives, so the link stays a link. */
async function targetOf(file: string): Promise<string> {
  const link = await lstat(file).catch(() => undefined);
  if (!link?.isSymbolicLink()) return file;
  return realpath(file).catch((error: NodeJS.ErrnoException) => {
    throw new RuntimeError(`${file} is a symlink to something missing (${reasonOf(error)}); not changed`);
  });
}

/**
 * Writes `text` to a new file beside `dest` with exactly `mode` (not the umask's idea of it),
 * fsyncs it and renames it over `dest`. Any failure (a full disk, say) removes the temp file.
 */
async function writeBeside(dest: string, text: string, mode: number, beforeRename?: () => Promise<void>): Promise<void> {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.knock-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  let renamed = false;
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    await beforeRename?.();
    await rename(temp, dest);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
    }
  }
}

/** The tree as it would be with the main file reading `text`; its Include lines keep what they read. */
function withMainText(tree: SshConfigFile, text: string): SshConfigFile {
  const includes = tree.lines.filter((l) => l.keyword === 'include');
  let next = 0;
  const lines: SshTreeLine[] = parseSshLines(text).map((line) => (line.keyword === 'include' ? { ...line, included: includes[next++]?.included ?? [] } : line));
  return { file: tree.file, lines };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${reasonOf(error)}`);
  }
}

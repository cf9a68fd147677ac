// Editing ~/.ssh/config with OpenSSH's care: only a file ssh itself would trust, read through
// the trusted open (files/guard.ts), a symlink followed to its target only if the link is to be
// trusted, one backup (byte-identical), the new text written by the atomic replace
// (files/replace.ts), nothing written if the file changed meanwhile. Bytes that are not UTF-8
// (a Latin-1 comment) stay exactly as they were.
import path from 'node:path';
import { fs } from '../files/fs-calls.js';
import { ConfigError, KnockError, RuntimeError, reasonOf } from '../shared/errors.js';
import { readGuarded, resolveGuarded, SSH_CONFIG_RULES, type Trust } from '../files/guard.js';
import { replaceFile } from '../files/replace.js';
import { parseSshLines } from './config-lines.js';
import { evaluateFor } from './evaluate.js';
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
  uid: number | undefined;
  /** ssh's %u, for the check that ssh would use the block (shared/io.ts reads it). */
  localUser: string;
  /** Ours: in the temporary files' names. */
  pid: number;
}

/** The one backup kept beside the file (each edit replaces it with the file as it was). */
export function backupPathOf(file: string): string {
  return `${file}.knock-backup`;
}

/**
 * How the file's bytes are held as text: UTF-8 when they are UTF-8 (as nearly every config is),
 * else one character per byte (latin1), so every byte written back is the byte read.
 */
function codecOf(bytes: Buffer): BufferEncoding {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes) ? 'utf8' : 'latin1';
}

/** The block's values as the codec holds them: their UTF-8 bytes, one character each under latin1. */
function blockIn(block: HostBlock, codec: BufferEncoding): HostBlock {
  if (codec === 'utf8') return block;
  const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  return { ...block, alias: bytes(block.alias), proxyCommand: bytes(block.proxyCommand), ...(block.hostName !== undefined ? { hostName: bytes(block.hostName) } : {}) };
}

export async function addToSshConfigFile(file: string, block: HostBlock, options: EditOptions): Promise<FileEdit> {
  const { uid } = options;
  const trust: Trust = { uid, home: options.homedir };
  const { real: target } = await resolveGuarded(file, trust, SSH_CONFIG_RULES);
  const read = await readGuarded(target, trust, SSH_CONFIG_RULES);
  // Renaming a new file over one owned by root would hand it to us: leave that to root.
  if (read && uid !== undefined && read.uid !== uid) throw new ConfigError(`${file} is owned by uid ${read.uid}, not by you (uid ${uid}): knock edits only your own ssh config; not changed`);
  const codec = read ? codecOf(read.bytes) : 'utf8';
  const before = read?.bytes.toString(codec);

  const tree = await loadConfigTree(file, { homedir: options.homedir, uid }, before ?? '');
  const { localUser } = options;
  const wanted = blockIn(block, codec);
  const outcome = addHostBlock(before ?? '', file, wanted, (text) => evaluateFor(withMainText(tree!, text), wanted.alias, { localUser }));
  if (outcome.kind === 'unchanged') return { outcome };
  const result: AddOutcome = codec === 'utf8' ? outcome : { ...outcome, text: Buffer.from(outcome.text, 'latin1').toString('utf8') };

  const via = target === path.resolve(file) ? {} : { target };
  const next = Buffer.from(outcome.text, codec);
  const unchangedSince = async (what: string) => {
    const now = await readGuarded(target, trust, SSH_CONFIG_RULES);
    if (read ? !now || !now.bytes.equals(read.bytes) : now !== undefined) throw new RuntimeError(`${file} ${what} while knock was editing it; nothing written`);
  };
  try {
    if (!read) {
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await replaceFile(target, next, { mode: 0o600, maxBytes: SSH_CONFIG_RULES.maxBytes, pid: options.pid, beforeRename: () => unchangedSince('appeared') });
      return { outcome: result, ...via };
    }
    const backup = backupPathOf(file);
    await replaceFile(backup, read.bytes, { mode: 0o600, maxBytes: SSH_CONFIG_RULES.maxBytes, pid: options.pid });
    await replaceFile(target, next, { mode: read.mode, maxBytes: SSH_CONFIG_RULES.maxBytes, pid: options.pid, beforeRename: () => unchangedSince('changed') });
    return { outcome: result, backup, ...via };
  } catch (error) {
    if (error instanceof KnockError) throw error;
    throw new RuntimeError(`cannot update ${file}: ${reasonOf(error)}`);
  }
}

/** The tree as it would be with the main file reading `text`; its Include lines keep what they read. */
function withMainText(tree: SshConfigFile, text: string): SshConfigFile {
  const includes = tree.lines.filter((l) => l.keyword === 'include');
  let next = 0;
  const lines: SshTreeLine[] = parseSshLines(text).map((line) => (line.keyword === 'include' ? { ...line, included: includes[next++]?.included ?? [] } : line));
  return { file: tree.file, lines };
}

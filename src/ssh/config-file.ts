// Editing ~/.ssh/config safely: a backup first, the new text written beside it and renamed
// over it, and nothing written if the file changed while we were working.
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { addHostBlock, type AddOutcome, type HostBlock } from './host-block.js';

export interface FileEdit {
  outcome: AddOutcome;
  /** The copy of the file as it was, when there was one. */
  backup?: string;
}

export async function addToSshConfigFile(file: string, block: HostBlock, now = new Date()): Promise<FileEdit> {
  const before = await readIfExists(file);
  const outcome = addHostBlock(before ?? '', file, block);
  if (outcome.kind === 'unchanged') return { outcome };
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    let backup: string | undefined;
    if (before !== undefined) {
      backup = await backUp(file, `${file}.knock-backup-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`);
    }
    const mode = before === undefined ? 0o600 : (await stat(file)).mode & 0o777;
    const temp = `${file}.knock-${process.pid}.tmp`;
    await writeFile(temp, outcome.text, { mode, flag: 'wx' });
    if ((await readIfExists(file)) !== before) {
      await unlink(temp);
      throw new RuntimeError(`${file} changed while knock was editing it; nothing written`);
    }
    await rename(temp, file);
    return { outcome, ...(backup ? { backup } : {}) };
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`cannot update ${file}: ${reasonOf(error)}`);
  }
}

/** Copies `file` to `base` (or base.1, base.2, ...): an older backup is never overwritten. */
async function backUp(file: string, base: string): Promise<string> {
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : `${base}.${i}`;
    try {
      await copyFile(file, name, constants.COPYFILE_EXCL);
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 100) throw error;
    }
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${reasonOf(error)}`);
  }
}

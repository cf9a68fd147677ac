// ~/.ssh/config with its Include files, read as ssh reads them: patterns relative to ~/.ssh,
// globbed and sorted, nested up to ssh's depth of 16, every file held to ssh's ownership rule.
import { fs as files } from '../files/fs-calls.js';
import { readRegularText, SSH_CONFIG_RULES } from '../files/guard.js';
import path from 'node:path';
import { UnreadableSshConfig } from './unreadable.js';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { parseSshLines, type SshLine } from './config-lines.js';
import { untrustedReason, type FileOwner } from './file-trust.js';
import { expandGlob } from './path-glob.js';

export interface SshConfigFile {
  file: string;
  lines: SshTreeLine[];
}

export interface SshTreeLine extends SshLine {
  /** For an Include line: the files it read, in ssh's order. */
  included?: SshConfigFile[];
}

export interface SshFs {
  readFile(file: string): Promise<string>;
  stat(file: string): Promise<FileOwner & { isDirectory(): boolean; isFile(): boolean }>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeSshFs: SshFs = {
  // Without blocking, a regular file only, bounded: a FIFO swapped in after the stat cannot hang knock.
  readFile: (file) => readRegularText(file, SSH_CONFIG_RULES),
  stat: (file) => files.stat(file),
  readdir: (dir) => files.readdir(dir),
};

export interface TreeOptions {
  homedir: string;
  /** Our uid for the ownership rule; undefined where there are no uids. */
  uid: number | undefined;
  fs?: SshFs;
}


/** READCONF_MAX_DEPTH in readconf.c: deeper is an error for ssh too ("Too many recursive configuration includes"). */
export const MAX_INCLUDE_DEPTH = 16;
/** A bound on the whole tree, so a hostile glob cannot make a lookup read without end. */
const MAX_FILES = 1000;

/**
 * Reads `file` (undefined when it does not exist) and everything it includes. `text`, when
 * given, stands for the main file's contents (an edit not yet written).
 */
export async function loadConfigTree(file: string, options: TreeOptions, text?: string): Promise<SshConfigFile | undefined> {
  const fs = options.fs ?? nodeSshFs;
  let count = 0;

  const readOne = async (name: string, depth: number, from?: string): Promise<SshConfigFile | undefined> => {
    if (depth > MAX_INCLUDE_DEPTH) throw new ConfigError(`${from}: more than ${MAX_INCLUDE_DEPTH} nested Includes (ssh stops there too: an Include loop?)`);
    if (++count > MAX_FILES) throw new ConfigError(`${from}: Include reaches more than ${MAX_FILES} files; not read`);
    let body: string;
    try {
      const info = await fs.stat(name);
      const untrusted = untrustedReason(name, info, options.uid);
      if (untrusted) throw new ConfigError(untrusted);
      // ssh reads a directory matched by a pattern as an empty file. A FIFO or device would
      // block or never end: only regular files are read.
      if (!info.isDirectory() && !info.isFile()) throw new ConfigError(`${name}: not a regular file; not read as ssh config`);
      body = depth === 0 && text !== undefined ? text : info.isDirectory() ? '' : await fs.readFile(name);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (depth === 0 && text !== undefined) body = text;
        else return undefined;
      } else if (code === 'EACCES') throw new UnreadableSshConfig(name, reasonOf(error));
      else throw new ConfigError(`${name}: cannot read: ${reasonOf(error)}`);
    }
    const lines: SshTreeLine[] = parseSshLines(body);
    for (const line of lines) {
      if (line.keyword !== 'include') continue;
      line.included = [];
      for (const arg of line.args) {
        const pattern = includePath(arg, options.homedir, name, line.line);
        let matches: string[];
        try {
          matches = await expandGlob(pattern, { readdir: (d) => fs.readdir(d), exists: (f) => fs.stat(f).then(() => true, () => false) });
        } catch (error) {
          throw new ConfigError(`${name} line ${line.line}: Include ${arg}: ${reasonOf(error)}`);
        }
        for (const match of matches) {
          const child = await readOne(match, depth + 1, `${name} line ${line.line}`);
          if (child) line.included.push(child);
        }
      }
    }
    return { file: name, lines };
  };

  return readOne(file, 0);
}

/** ssh anchors a user config's relative Include in ~/.ssh; `~/` is the home directory. */
function includePath(arg: string, homedir: string, file: string, line: number): string {
  if (arg === '~' || arg.startsWith('~/')) return path.join(homedir, arg.slice(1));
  if (arg.startsWith('~')) throw new ConfigError(`${file} line ${line}: Include ${arg}: another user's ~ is not supported; write the path out`);
  return path.isAbsolute(arg) ? arg : path.join(homedir, '.ssh', arg);
}

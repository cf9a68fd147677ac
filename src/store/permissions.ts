// Knock sequences are secrets (like fwknop's 0600 rc file): say so when others can read them.
import { statSync } from 'node:fs';

/** The warning for a store readable by group or others, or undefined when it is private. */
export function storePermissionWarning(file: string, platform: NodeJS.Platform, stat: (file: string) => { mode: number } = statSync): string | undefined {
  if (platform === 'win32') return undefined; // POSIX modes mean nothing there
  let mode: number;
  try {
    mode = stat(file).mode & 0o777;
  } catch {
    return undefined; // it was just read; a race is not worth a warning
  }
  if ((mode & 0o044) === 0) return undefined;
  const who = [mode & 0o040 ? 'group' : '', mode & 0o004 ? 'others' : ''].filter(Boolean).join(' and ');
  return `${file} is readable by ${who} (mode ${mode.toString(8).padStart(4, '0')}); knock sequences are secrets: chmod 600 ${file}`;
}

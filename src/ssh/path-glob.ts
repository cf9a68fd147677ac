// Include's file patterns, expanded as glob(3) does for ssh: * ? [...] per path component, a
// leading dot matched only literally, results sorted, a pattern without wildcards kept if it exists.
import path from 'node:path';

export interface GlobFs {
  readdir(dir: string): Promise<string[]>;
  exists(file: string): Promise<boolean>;
}

/** More matches than this for one Include is not a config anyone wrote by hand. */
export const MAX_GLOB_MATCHES = 1000;

export async function expandGlob(pattern: string, fs: GlobFs): Promise<string[]> {
  const parts = pattern.split('/');
  let found = [parts[0] === '' ? '/' : '.'];
  for (const part of parts.slice(parts[0] === '' ? 1 : 0)) {
    if (part === '') continue;
    if (!hasMagic(part)) {
      found = found.map((dir) => path.join(dir, unescape(part)));
      continue;
    }
    const regex = componentRegex(part);
    const next: string[] = [];
    for (const dir of found) {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort(byBytes)) if (regex.test(name)) next.push(path.join(dir, name));
      if (next.length > MAX_GLOB_MATCHES) throw new Error(`more than ${MAX_GLOB_MATCHES} files match ${pattern}`);
    }
    found = next;
  }
  const existing: string[] = [];
  for (const file of found) if (await fs.exists(file)) existing.push(file);
  return existing.sort(byBytes);
}

function hasMagic(part: string): boolean {
  return /[*?[]/.test(part.replace(/\\./g, ''));
}

function unescape(part: string): string {
  return part.replace(/\\(.)/g, '$1');
}

/** fnmatch(3) for one component, without FNM_PERIOD's exception: a leading dot must be literal. */
export function componentRegex(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '\\' && i + 1 < part.length) source += escapeRegex(part[++i]!);
    else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      i = close;
    } else source += escapeRegex(c);
  }
  const leadingDotOk = part.startsWith('.');
  return new RegExp(`^${leadingDotOk ? '' : '(?!\\.)'}${source}$`);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

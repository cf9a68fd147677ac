// The process (environment, working directory, user, pid, host name, how we were started) is
// read in one place, shared/io.ts, and handed down through the Io and the Context: a read
// anywhere else under src/ would bypass the fakes, so tests would see the real home, the real
// $XDG_RUNTIME_DIR, the real user. This reads every source file and fails on such a read.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** The one file that reads the process. */
const READER = 'shared/io.ts';
/** The entries: the only callers of processIo(), once each, at start. */
const ENTRIES = ['main.ts', 'fast-main.ts', 'watchdog-main.ts'];

const READS: [RegExp, string][] = [
  [/\bprocess\s*\.\s*(env|cwd|chdir|getuid|geteuid|getgid|getegid|getgroups|pid|ppid|argv|execPath|execArgv|umask)\b/, 'process.$1'],
  [/\bprocess\s*\[/, 'process[...]'],
  [/(?:=|\(|,)\s*process\s*(?:[;,)]|$)/m, 'process itself passed or aliased'],
  [/\b(homedir|userInfo|hostname|tmpdir|networkInterfaces)\s*\(/, '$1()'],
];

/** The code without its comments and string contents (a message may name $HOME). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''")
    .replace(/`(?:[^`\\$]|\\.|\$(?!\{))*`/g, '``');
}

/** What `text` reads of the process, one line each: "LINE: WHAT". */
export function processReads(text: string): string[] {
  const found: string[] = [];
  code(text)
    .split('\n')
    .forEach((line, i) => {
      for (const [pattern, what] of READS) {
        const m = pattern.exec(line);
        if (m) found.push(`${i + 1}: ${what.replace('$1', m[1] ?? '')}`);
      }
    });
  return found;
}

function sources(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => /\.(ts|mts|cts|js|mjs)$/.test(f)).map((f) => f.split(path.sep).join('/'));
}

test('the check finds a read of the process (so it can fail)', () => {
  expect(processReads("const home = process.env.HOME ?? os.homedir();\nconst u = process.getuid?.();")).toEqual(['1: process.env', '1: homedir()', '2: process.getuid']);
  expect(processReads('const { env } = process;\nspawn(cmd, { env: process.env });\nconst p = process\n')).toEqual(['1: process itself passed or aliased', '2: process.env', '3: process itself passed or aliased']);
  expect(processReads("import { hostname } from 'node:os';\nconst h = hostname();\nconst t = os.tmpdir();\nconst id = process.pid & 0xffff;")).toEqual(['2: hostname()', '3: tmpdir()', '4: process.pid']);
  expect(processReads('const cwd = process["cwd"]();')).toEqual(['1: process[...]']);
  // Comments and messages may name them; io fields are not reads.
  expect(processReads("// process.env is read in io.ts\nthrow new Error('set process.env.HOME');\nconst h = io.homedir;\nprocess.once('SIGINT', f);")).toEqual([]);
});

test(`no file under src/ but ${READER} reads the environment, cwd, user, pid or host name`, () => {
  const files = sources();
  // The check can fail: it reads the files, the reader among them.
  expect(files).toContain(READER);
  expect(processReads(readFileSync(path.join(SRC, READER), 'utf8')).length).toBeGreaterThan(0);
  const reads = files.filter((f) => f !== READER).flatMap((f) => processReads(readFileSync(path.join(SRC, f), 'utf8')).map((r) => `${f}:${r}`));
  expect(reads).toEqual([]);
});

test('only the entries make the process Io (no module builds its own from the environment)', () => {
  const callers = sources().filter((f) => f !== READER && /\bprocessIo\s*\(/.test(code(readFileSync(path.join(SRC, f), 'utf8'))));
  expect(callers.sort()).toEqual([...ENTRIES].sort());
  // Each calls it inside its main(), not at import time.
  for (const entry of ENTRIES) {
    const text = code(readFileSync(path.join(SRC, entry), 'utf8'));
    const top = text.split('\n').filter((line) => /^\S/.test(line) && /\bprocessIo\s*\(/.test(line));
    expect({ entry, top }).toEqual({ entry, top: [] });
  }
});

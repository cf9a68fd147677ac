// A hostile file at every path knock opens: a FIFO, a symlink to /dev/zero, a directory, a
// symlink to another user's file and a dangling symlink, planted at the store, its edit lock,
// a one-time list and its lock, ~/.ssh/config and its Include target, an import FILE, a serve
// --knockd-conf FILE and that file's one_time_sequences. Each run of the built knock has a kill
// timeout: it must end by itself with one `knock: ...` line and exit 1 or 2 (or, where the file
// is optional and ssh would skip it, succeed), and every real file stays byte for byte as it was.
// As root, another uid plants links and locks in a sticky shared directory, as in /tmp.
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runKnock, TempHome, type RunResult } from '../helpers/run-knock.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
/** Long enough for a loaded machine, short of the test's own timeout: a hang is a kill. */
const KILL_MS = 30_000;

type Plant = 'fifo' | 'dev-zero' | 'directory' | 'other-user' | 'dangling';
const PLANTS: Plant[] = ['fifo', 'dev-zero', 'directory', 'other-user', 'dangling'];

interface Place {
  name: string;
  /** The path to plant at, in this home. */
  at: (h: Layout) => string;
  /** The knock runs that open it. */
  runs: (h: Layout) => string[][];
  /** Plants knock may read as absent or skip (exit 0 allowed): the file is optional to it. */
  optional?: Plant[];
  /** The file a run that succeeds (an optional plant) may change. */
  writes?: (h: Layout) => string;
}

interface Layout {
  home: TempHome;
  store: string;
  oneTime: string;
  ssh: string;
  include: string;
  conf: string;
  serveConf: string;
  serveList: string;
  other: string;
}

function layout(home: TempHome): Layout {
  const oneTime = home.writeFile('lists/office.txt', ' 7301,7302\n 7303,7304\n');
  const serveList = home.writeFile('server/list.txt', ' 7401,7402\n');
  const conf = home.writeFile('server/knockd.conf', '[options]\n\tlogfile = /dev/null\n[openSSH]\n\tsequence = 7001,7002\n\tseq_timeout = 5\n\tcommand = /bin/true\n');
  const serveConf = home.writeFile('server/otp.conf', `[otp]\n\tone_time_sequences = ${serveList}\n\tseq_timeout = 5\n`);
  const store = home.writeConfig(
    `profiles:\n  office:\n    host: 127.0.0.1\n    port: 2222\n    open: ["7101:udp", "7102:udp"]\n  ot:\n    host: 127.0.0.1\n    one_time_sequences: ${oneTime}\n`,
  );
  const ssh = home.writeFile('.ssh/config', 'Include extra.conf\nHost elsewhere\n  Port 2200\n');
  const include = home.writeFile('.ssh/extra.conf', 'Host other\n  Port 2201\n');
  chmodSync(path.join(home.dir, '.ssh'), 0o700);
  // Another user's file, which no link may make knock read or write.
  const otherDir = path.join(home.dir, 'other');
  mkdirSync(otherDir, { mode: 0o755 });
  const other = path.join(otherDir, 'notes.txt');
  writeFileSync(other, 'notes of another user\n', { mode: 0o644 });
  if (isRoot) chownSync(other, NOBODY, NOBODY);
  return { home, store, oneTime, ssh, include, conf, serveConf, serveList, other };
}

const PLACES: Place[] = [
  { name: 'the store', at: (h) => h.store, runs: () => [['list'], ['office', '-n'], ['add', 'x', '127.0.0.1', '7201']] },
  { name: 'STORE.edit-lock', at: (h) => `${h.store}.edit-lock`, runs: () => [['add', 'x', '127.0.0.1', '7201'], ['remove', 'office']] },
  { name: 'a one-time list', at: (h) => h.oneTime, runs: () => [['ot', '-n'], ['ot'], ['lint', 'ot'], ['list'], ['show', 'ot']] },
  { name: "a one-time list's FILE.lock", at: (h) => `${h.oneTime}.lock`, runs: () => [['ot']] },
  {
    name: '~/.ssh/config',
    at: (h) => h.ssh,
    // `elsewhere` is an ssh alias, not a profile: the knock reads ~/.ssh/config for it (a
    // profile's own name does not need it, and is not made to read it).
    runs: () => [['ssh-config', 'office', '--add'], ['elsewhere', '-n']],
    // A missing config is no config (ssh says the same); a directory ssh reads as empty.
    optional: ['dangling', 'directory'],
    writes: (h) => h.ssh,
  },
  { name: "~/.ssh/config's Include target", at: (h) => h.include, runs: () => [['ssh-config', 'office', '--add'], ['elsewhere', '-n']], optional: ['dangling', 'directory'], writes: (h) => h.ssh },
  { name: 'import FILE', at: (h) => h.conf, runs: (h) => [['import', h.conf, '--host', '127.0.0.1', '-n'], ['import', h.conf, '--host', '127.0.0.1']] },
  { name: 'serve --knockd-conf FILE', at: (h) => h.serveConf, runs: (h) => [['serve', '--knockd-conf', h.serveConf]] },
  { name: "the knockd.conf's one_time_sequences", at: (h) => h.serveList, runs: (h) => [['serve', '--knockd-conf', h.serveConf]] },
];

function plant(h: Layout, at: string, kind: Plant): void {
  rmSync(at, { recursive: true, force: true });
  if (kind === 'fifo') execFileSync('mkfifo', ['-m', '0600', at]);
  else if (kind === 'dev-zero') symlinkSync('/dev/zero', at);
  else if (kind === 'directory') mkdirSync(at, { mode: 0o700 });
  else if (kind === 'other-user') symlinkSync(h.other, at);
  else symlinkSync(path.join(path.dirname(at), 'gone', 'nothing'), at);
}

/** The regular files of the layout with their bytes: none may change. */
function snapshot(h: Layout, planted: string): Map<string, Buffer> {
  const files = [h.store, h.oneTime, h.ssh, h.include, h.conf, h.serveConf, h.serveList, h.other].filter((f) => f !== planted);
  return new Map(files.filter((f) => { try { return readFileSync(f) && true; } catch { return false; } }).map((f) => [f, readFileSync(f)]));
}

function expectOneLine(result: RunResult, args: string[], allowSuccess: boolean): void {
  const what = `knock ${args.join(' ')}: ${JSON.stringify(result)}`;
  // Ended by itself: the kill timeout did not fire.
  expect({ what, signal: result.signal }).toEqual({ what, signal: null });
  if (allowSuccess && result.code === 0) return;
  expect({ what, code: [1, 2].includes(result.code ?? -1) }).toEqual({ what, code: true });
  const errors = result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('knock: warning: '));
  expect({ what, errors: errors.length, first: /^knock: \S/.test(errors[0] ?? '') }).toEqual({ what, errors: 1, first: true });
  expect({ what, trace: /\n\s+at /.test(result.stderr) }).toEqual({ what, trace: false });
}

const cases = PLACES.flatMap((place) => PLANTS.map((kind) => [place.name, kind, place] as const));

describe('a hostile file at every path knock opens', () => {
  let home: TempHome;
  beforeEach(() => {
    home = new TempHome();
  });
  afterEach(() => home.cleanup());

  test.each(cases)('%s as %s: one line, exit 1 or 2, no hang, nothing changed', async (_name, kind, place) => {
    if (kind === 'other-user' && !isRoot) {
      console.log('skipped the other-user plant: it needs root to make a file of another uid');
      return;
    }
    const h = layout(home);
    const at = place.at(h);
    plant(h, at, kind);
    const before = snapshot(h, at);
    const optional = place.optional?.includes(kind) ?? false;
    for (const args of place.runs(h)) {
      const result = await runKnock(args, { env: home.env, timeoutMs: KILL_MS });
      if (args[0] === 'lint') {
        // lint reports the refusal as a finding of the profile, on stdout, and exits 1.
        expect({ args, signal: result.signal, code: result.code, finding: /\[one-time-file\]\n/.test(result.stdout) }).toEqual({ args, signal: null, code: 1, finding: true });
      } else if (args[0] === 'list' || args[0] === 'show') {
        // They show the list's problem beside the profile, and end.
        expect({ args, signal: result.signal, code: result.code, trace: /\n\s+at /.test(result.stderr) }).toEqual({ args, signal: null, code: result.code === 0 ? 0 : 2, trace: false });
      } else expectOneLine(result, args, optional);
    }
    if (optional && place.writes) before.delete(place.writes(h));
    for (const [file, bytes] of before) expect({ file, same: readFileSync(file).equals(bytes) }).toEqual({ file, same: true });
    // What was planted is still what it was: knock removed, followed or replaced nothing.
    if (kind === 'directory') expect(existsSync(at)).toBe(true);
  }, 8 * KILL_MS);
});

(isRoot ? describe : describe.skip)('another user plants in a sticky shared directory (as in /tmp)', () => {
  let home: TempHome;
  let shared: string;
  beforeEach(() => {
    home = new TempHome();
    shared = mkdtempSync(path.join(os.tmpdir(), 'knock-sticky-'));
    chmodSync(shared, 0o1777);
  });
  afterEach(() => {
    home.cleanup();
    rmSync(shared, { recursive: true, force: true });
  });

  /** Made by the other uid: a FIFO, a link to /dev/zero or to one of our files. */
  const asOther = (kind: 'fifo' | 'dev-zero' | 'link', at: string, to?: string) => {
    const argv = kind === 'fifo' ? ['mkfifo', at] : ['ln', '-s', kind === 'dev-zero' ? '/dev/zero' : to!, at];
    execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv]);
  };

  test("another user's link to our file as the store: not followed, the file unchanged", async () => {
    const notes = home.writeFile('notes.txt', 'my notes\n');
    const team = path.join(shared, 'team.yaml');
    asOther('link', team, notes);
    for (const args of [['--config', team, 'add', 'x', '127.0.0.1', '7201'], ['--config', team, 'list']]) {
      const result = await runKnock(args, { env: home.env, timeoutMs: KILL_MS });
      expectOneLine(result, args, false);
      expect(result.stderr).toMatch(/team\.yaml is a symlink owned by uid 65534, not by you \(uid 0\) or root/);
    }
    expect(readFileSync(notes, 'utf8')).toBe('my notes\n');
  }, 3 * KILL_MS);

  test.each(['fifo', 'dev-zero'] as const)("another user's %s at our store's edit lock: refused at once, the store unchanged", async (kind) => {
    const store = path.join(shared, 'v.yaml');
    writeFileSync(store, 'profiles:\n  a:\n    host: 127.0.0.1\n    open: [7201]\n', { mode: 0o600 });
    asOther(kind, `${store}.edit-lock`);
    const before = readFileSync(store);
    const args = ['--config', store, 'add', 'x', '127.0.0.1', '7202'];
    const result = await runKnock(args, { env: home.env, timeoutMs: KILL_MS });
    expectOneLine(result, args, false);
    expect(result.stderr).toMatch(/v\.yaml\.edit-lock is a (FIFO|symlink), not a lock file knock made/);
    expect(readFileSync(store).equals(before)).toBe(true);
  }, 3 * KILL_MS);

  test.each(['fifo', 'dev-zero'] as const)("another user's %s at a one-time list's lock: refused, the list unchanged", async (kind) => {
    const list = path.join(shared, 'list.txt');
    writeFileSync(list, ' 7301,7302\n', { mode: 0o600 });
    home.writeConfig(`profiles:\n  ot:\n    host: 127.0.0.1\n    one_time_sequences: ${list}\n`);
    asOther(kind, `${list}.lock`);
    const result = await runKnock(['ot'], { env: home.env, timeoutMs: KILL_MS });
    expectOneLine(result, ['ot'], false);
    expect(readFileSync(list, 'utf8')).toBe(' 7301,7302\n');
  }, 3 * KILL_MS);

  test("a store of ours reached through another user's link is not written through it", async () => {
    const mine = home.writeConfig('profiles:\n  a:\n    host: 127.0.0.1\n    open: [7201]\n');
    const link = path.join(shared, 'config.yaml');
    asOther('link', link, mine);
    lchownSync(link, NOBODY, NOBODY);
    const before = readFileSync(mine);
    const result = await runKnock(['--config', link, 'remove', 'a'], { env: home.env, timeoutMs: KILL_MS });
    expectOneLine(result, ['remove'], false);
    expect(readFileSync(mine).equals(before)).toBe(true);
  }, 3 * KILL_MS);
});

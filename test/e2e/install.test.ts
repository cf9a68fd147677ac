// The README's install path, run as written by bash with a real npm in a temporary HOME on a
// machine where Debian's knockd may own /usr/bin/knock: npm pack, npm install -g into
// ~/.local, the PATH line, then `knock` and `man knock` are ours. Offline: the tarball holds
// its runtime dependencies (bundleDependencies), so npm needs no registry.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KNOCK_BIN, ROOT, runProcess, TempHome } from '../helpers/run-knock.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
const hasNpm = npmCache !== '';
if (!hasNpm) console.warn('install e2e: npm missing; skipped');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The ```sh block that follows `marker` in the README. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  expect(at).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(at));
  return block![1]!;
}

let home: TempHome;
let checkout: string;
beforeAll(() => {
  home = new TempHome();
  // What a clone holds after `npm ci && npm run build`: the package's files, dist built (by the
  // test run itself: npm pack's prepack build is skipped here, so it cannot race other tests).
  checkout = mkdtempSync(path.join(os.tmpdir(), 'knock-checkout-'));
  for (const entry of ['package.json', 'package-lock.json', 'README.md', 'bin', 'dist', 'completions']) cpSync(path.join(ROOT, entry), path.join(checkout, entry), { recursive: true });
  // npm pack puts the runtime dependencies (bundleDependencies) into the tarball from here.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
});
afterAll(() => {
  home.cleanup();
  rmSync(checkout, { recursive: true, force: true });
});

const env = () => ({
  ...home.env,
  // Debian's /usr/bin (with knockd's knock(1), where installed) is on PATH, as on the user's machine.
  PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
  // A cache of this test's own: nothing may come from the registry, or from an earlier install.
  npm_config_cache: path.join(home.dir, '.npm-cache'),
  npm_config_offline: 'true',
  npm_config_ignore_scripts: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  MANPAGER: 'cat',
  PAGER: 'cat',
  MANWIDTH: '100',
});

(hasNpm ? describe : describe.skip)("the README's install path", () => {
  test('npm pack + npm install -g --prefix ~/.local + the PATH line: knock and man knock are ours', async () => {
    const script = `set -eu\ncd '${checkout}'\n${blockAfter('`~/.local` works everywhere:')}`;
    const r = await runProcess('bash', ['--norc', '--noprofile', '-c', script], { env: env(), timeoutMs: 120000 });
    expect(r.stderr).not.toMatch(/EEXIST|ERR!/);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`${home.dir}/.local/bin/knock`);
    expect(r.stdout).toMatch(/KNOCK\(1\)[\s\S]*port-knocking client: exactly one packet per knock/);
    expect(existsSync(path.join(home.dir, '.local', 'share', 'man', 'man1', 'knock.1'))).toBe(true);

    // The installed knock runs, from anywhere, with its completions.
    const run = (line: string) => runProcess('bash', ['--norc', '--noprofile', '-c', `export PATH="$HOME/.local/bin:$PATH"; cd /; ${line}`], { env: env() });
    expect(await run('knock -V')).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await run('knock -n 127.0.0.1 7000')).stdout).toMatch(/dry run: nothing was sent/);
    expect((await run('knock completion fish')).stdout).toContain('complete -c knock');
    if (existsSync('/usr/bin/knock')) expect((await run('/usr/bin/knock --help')).stdout + (await run('/usr/bin/knock --help')).stderr).toMatch(/usage: knock/);
    // The tarball went to a temporary directory: nothing is left in the clone.
    expect(readdirSync(checkout).filter((f) => f.endsWith('.tgz'))).toEqual([]);

    // The README's uninstall lines take it all away again: bin, package, man page.
    const uninstall = await runProcess('bash', ['--norc', '--noprofile', '-c', `set -eu\nexport PATH="$HOME/.local/bin:$PATH"\n${blockAfter('**Uninstall**:')}`], { env: env(), timeoutMs: 60000 });
    expect(uninstall.code).toBe(0);
    expect(uninstall.stdout).not.toContain(`${home.dir}/.local/bin/knock`);
    for (const gone of ['bin/knock', 'share/man/man1/knock.1', 'lib/node_modules/knock']) expect(existsSync(path.join(home.dir, '.local', gone))).toBe(false);
  }, 150000);

  test('into a prefix whose bin/knock belongs to someone else (Debian: knockd), npm stops with EEXIST, as the README warns', async () => {
    const prefix = mkdtempSync(path.join(os.tmpdir(), 'knock-prefix-'));
    try {
      mkdirSync(path.join(prefix, 'bin'));
      writeFileSync(path.join(prefix, 'bin', 'knock'), '#!/bin/sh\necho knockd\n', { mode: 0o755 });
      const tarball = path.join(checkout, `knock-${version}.tgz`);
      if (!existsSync(tarball)) await runProcess('npm', ['pack'], { env: env(), cwd: checkout, timeoutMs: 60000 });
      const r = await runProcess('npm', ['install', '-g', '--prefix', prefix, tarball], { env: env(), timeoutMs: 120000 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/EEXIST/);
      expect(readFileSync(path.join(prefix, 'bin', 'knock'), 'utf8')).toBe('#!/bin/sh\necho knockd\n');
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  }, 150000);

  test('the completion lines work in a fresh home (mkdir -p)', async () => {
    const fresh = new TempHome();
    const bin = mkdtempSync(path.join(os.tmpdir(), 'knock-bin-'));
    symlinkSync(KNOCK_BIN, path.join(bin, 'knock'));
    try {
      const script = `set -eu\nexport PATH="${bin}:$PATH"\n${blockAfter('**Completions.** Pick your shell:')}`;
      const r = await runProcess('bash', ['--norc', '--noprofile', '-c', script], { env: { ...env(), HOME: fresh.dir } });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      for (const file of ['.local/share/bash-completion/completions/knock', '.zfunc/_knock', '.config/fish/completions/knock.fish']) {
        expect(readFileSync(path.join(fresh.dir, file), 'utf8')).toBe(readFileSync(path.join(ROOT, 'completions', path.basename(file) === 'knock' ? 'knock.bash' : path.basename(file)), 'utf8'));
      }
    } finally {
      fresh.cleanup();
      rmSync(bin, { recursive: true, force: true });
    }
  }, 60000);
});

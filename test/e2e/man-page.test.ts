// knock(1): dist/knock.1, made by the build from the README's Reference, rendered by the real
// man(1), naming every command and every option that --help lists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';

const MAN_PAGE = path.join(ROOT, 'dist', 'knock.1');
const hasMan = spawnSync('sh', ['-c', 'command -v man']).status === 0;
if (!hasMan) console.warn('man-page e2e: man(1) missing (apt-get install man-db); rendering is skipped');

let home: TempHome;
let page = '';
beforeAll(async () => {
  home = new TempHome();
  if (!hasMan) return;
  const r = await runProcess('man', ['--warnings', '-l', MAN_PAGE], { env: { ...home.env, MANWIDTH: '120', MANPAGER: 'cat', PAGER: 'cat' } });
  // groff's warnings (a bad request, a broken escape) come on stderr: there must be none.
  expect(r).toMatchObject({ code: 0, stderr: '' });
  page = r.stdout.replace(/\s+/g, ' ');
});
afterAll(() => home.cleanup());

/** What --help lists: the subcommands, and per command the options. */
async function helpOf(args: string[]): Promise<string> {
  const r = await runKnock([...args, '--help'], { env: home.env, cwd: home.dir });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return r.stdout;
}
const commandsOf = (help: string) => [...(/\nCommands:\n([\s\S]*?)\n\n/.exec(help)?.[1] ?? '').matchAll(/^ {2}knock ([a-z][\w-]*)/gm)].map((m) => m[1]!);
const flagsOf = (help: string) => [...new Set([...help.matchAll(/(?<=^|[\s,])(--?[\w][\w-]*)/gm)].map((m) => m[1]!))].filter((f) => /^-(\w|-[\w-]{2,})$/.test(f));

test('package.json ships it as the man page', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { man: string[]; files: string[] };
  expect(pkg.man).toEqual(['./dist/knock.1']);
  expect(pkg.files).toContain('dist');
  expect(existsSync(MAN_PAGE)).toBe(true);
});

(hasMan ? describe : describe.skip)('man -l dist/knock.1', () => {
  test('renders the usual sections', () => {
    for (const heading of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'GLOBAL OPTIONS', 'COMMANDS', 'EXIT STATUS', 'SEE ALSO']) {
      expect(page).toContain(` ${heading} `);
    }
    expect(page).toMatch(/^KNOCK\(1\)/);
  });

  test('one COMMANDS section; the server set-up, ENVIRONMENT and FILES are there', async () => {
    const r = await runProcess('man', ['--warnings', '-l', MAN_PAGE], { env: { ...home.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
    const headings = r.stdout.split('\n').filter((line) => /^[A-Z][A-Z -]+$/.test(line));
    expect(headings.filter((h) => h === 'COMMANDS')).toHaveLength(1);
    for (const heading of ['SET UP THE SERVER', 'ENVIRONMENT', 'FILES', 'EXIT STATUS']) expect(headings).toContain(heading);
    expect(headings.indexOf('ENVIRONMENT')).toBeLessThan(headings.indexOf('EXIT STATUS'));
    for (const name of ['KNOCK_CONFIG', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'NO_COLOR', 'config.yaml', '.edit-lock', 'config.knock-backup']) expect(page).toContain(name);
    // What the README's "Set up the server" holds, rendered: its formats and its commands.
    expect(page).toContain('iptables-restore --noflush');
    expect(page).toContain('nft -f');
  });

  test('no Markdown backtick leaks, also where a code span crosses a line', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // Backticks are fine only inside fenced code, which the page shows as it is.
    const fenced = new Set([...readme.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n').map((l) => l.trim())));
    const rendered = spawnSync('man', ['-l', MAN_PAGE], { env: { ...process.env, ...home.env, MANWIDTH: '1000', MANPAGER: 'cat', PAGER: 'cat' }, encoding: 'utf8' }).stdout;
    const leaks = rendered.split('\n').filter((line) => line.includes('`') && !fenced.has(line.trim()));
    expect(leaks).toEqual([]);
    // The span the issue saw leak: `ping ... -s SIZE`, broken over two README lines.
    expect(page).toContain('(ping ... -s SIZE)');
  });

  test('names every command --help lists, and every option of each', async () => {
    const top = await helpOf([]);
    const commands = commandsOf(top);
    expect(commands).toEqual(expect.arrayContaining(['open', 'close', 'list', 'add', 'proxy', 'serve', 'completion']));
    // The check can fail: the flags are really read from --help.
    expect(flagsOf(await helpOf(['add']))).toEqual(expect.arrayContaining(['--close', '--seq-timeout', '-f', '--force', '-V', '--ipv6']));
    const missing: string[] = [];
    for (const flag of flagsOf(top)) if (!page.includes(flag)) missing.push(`knock ${flag}`);
    for (const command of commands) {
      if (!page.includes(`knock ${command}`)) missing.push(`command ${command}`);
      for (const flag of flagsOf(await helpOf([command]))) if (!page.includes(flag)) missing.push(`knock ${command} ${flag}`);
    }
    expect(missing).toEqual([]);
  });
});

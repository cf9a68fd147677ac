// Help at a real terminal (tmux) of 80 and 120 columns: wrapped on words, never mid-word, and
// no line wider than the terminal.
import { spawnSync } from 'node:child_process';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
if (!hasTmux) console.warn('help-wrap e2e: tmux missing (scripts/install-lab-packages.sh installs it); skipped');

const SOCKET = `knock-help-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());
afterEach(() => void tmux('kill-server'));

/** `knock ARGS` in a fresh tmux pane COLUMNS wide; the whole output, scrollback included. */
async function helpAt(columns: number, args: string): Promise<string> {
  const env = { ...home.env, TERM: 'xterm-256color' } as NodeJS.ProcessEnv;
  delete env.CI;
  delete env.TMUX;
  delete env.COLUMNS;
  const command = `'${process.execPath}' '${KNOCK_BIN}' ${args}; echo "exit=$?"; sleep 30`;
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', 'new-session', '-d', '-s', 'k', '-x', String(columns), '-y', '50', command], { env, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const pane = () => tmux('capture-pane', '-p', '-S', '-', '-t', 'k').stdout;
  expect(await until(() => /^exit=\d+$/m.test(pane()), 15000)).toBe(true);
  const text = pane();
  tmux('kill-server');
  return text.slice(0, text.search(/^exit=/m));
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);

(hasTmux ? describe : describe.skip)('help at a terminal (tmux)', () => {
  it.each([
    [80, '--help'],
    [120, '--help'],
    [80, 'add --help'],
    [80, 'rules --help'],
    [80, 'import --help'],
    [120, 'serve --help'],
  ])('%i columns, knock %s: words whole, lines within the width', async (columns, args) => {
    const shown = await helpAt(columns, args);
    // The same help off a terminal (120 columns): the same words (a word cut in two would be two
    // others). Sorted: two columns that both wrap interleave their words row by row.
    const plain = await runKnock(args.split(' '), { env: home.env });
    expect(plain.code).toBe(0);
    expect(words(shown).sort()).toEqual(words(plain.stdout).sort());
    for (const line of shown.split('\n')) expect([...line.trimEnd()].length).toBeLessThanOrEqual(columns);
    expect(shown.split('\n').some((line) => line.trimEnd().length > columns - 15)).toBe(true); // it did use the width
  }, 40000);

  it('the words the issue saw cut at 80 columns are whole', async () => {
    const shown = words(await helpAt(80, '--help'));
    for (const word of ['mode', '0600,', 'directory)', 'knocks']) expect(shown).toContain(word);
  }, 30000);
});

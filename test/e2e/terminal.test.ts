// What a user at a terminal sees, read off a real tmux pane (capture-pane): -v lines appear
// as each knock leaves, above the spinner, not at the end; results on stdout, diagnostics on
// stderr, so `2>/dev/null` leaves the results alone.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { KNOCK_BIN, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
if (!hasTmux) console.warn('terminal e2e: tmux missing (scripts/install-lab-packages.sh installs it); skipped');

const SOCKET = `knock-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
const pane = () => tmux('capture-pane', '-p', '-t', 'k').stdout;

let home: TempHome;
let sink: dgram.Socket;
let port: number;
let received = 0;
let onPacket: (() => void) | undefined;
beforeAll(async () => {
  home = new TempHome();
  sink = dgram.createSocket('udp4');
  sink.on('message', () => {
    received++;
    onPacket?.();
  });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  port = sink.address().port;
});
afterAll(() => {
  sink.close();
  home.cleanup();
});
beforeEach(() => {
  received = 0;
  onPacket = undefined;
});
afterEach(() => void tmux('kill-server'));

/** Starts `knock ARGS` in a fresh 100x30 tmux pane, as a user's shell would (TERM, no CI). */
function start(args: string, redirect = '') {
  const env = { ...home.env, TERM: 'xterm-256color' } as NodeJS.ProcessEnv;
  delete env.CI;
  delete env.TMUX;
  const command = `'${process.execPath}' '${KNOCK_BIN}' ${args} ${redirect}; echo "exit=$?"; sleep 30`;
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', 'new-session', '-d', '-s', 'k', '-x', '100', '-y', '30', command], { env, encoding: 'utf8' });
  expect(r.status).toBe(0);
}

/** The suite's until(), with the pane shown when it gives up. */
async function paneShows(condition: () => boolean, limitMs = 15000): Promise<void> {
  if (!(await until(condition, limitMs))) throw new Error(`gave up waiting; the pane shows:\n${pane()}`);
}

(hasTmux ? describe : describe.skip)('at a terminal (tmux)', () => {
  it('-v: each knock line shows as it leaves, with the spinner below; not all at the end', async () => {
    // 5 knocks 500 ms apart: 2 s in all.
    start(`-v -d 500 127.0.0.1 ${Array(5).fill(`${port}:udp`).join(' ')}`);
    // Once the third packet has arrived, the screen already shows knock 1 and 2, not knock 5.
    const midway = await new Promise<string>((resolve) => {
      onPacket = () => {
        if (received === 3) setTimeout(() => resolve(pane()), 50);
      };
    });
    expect(midway).toMatch(/^knock 1\/5 \d+:udp -> 127\.0\.0\.1 at \+\d+\.\d\d ms$/m);
    expect(midway).toMatch(/^knock 1\/5 \d+:udp: sent$/m);
    expect(midway).toMatch(/^knock 2\/5 \d+:udp -> 127\.0\.0\.1 at \+/m);
    expect(midway).not.toMatch(/knock 5\/5/);
    expect(midway).toContain('knocking 127.0.0.1 (5 knocks over 2000 ms)');
    await paneShows(() => /exit=\d/.test(pane()));
    const end = pane();
    expect(end).toMatch(/^knocked 127\.0\.0\.1: 5 knocks in [\d.]+ ms$/m);
    expect(end).toMatch(/^exit=0$/m);
    expect(end).not.toContain('knocking 127.0.0.1'); // the spinner cleared itself
    expect(end.match(/^knock \d\/5 .* at \+/gm)).toHaveLength(5);
  }, 30000);

  it('2>/dev/null leaves the results: knock, --dry-run and lint counts are stdout', async () => {
    home.writeConfig(`profiles:\n  p:\n    host: 127.0.0.1\n    open: ["${port}:udp", "${port + 1 > 65535 ? 1 : port + 1}:udp"]\n`);
    start(`-v -n p; '${process.execPath}' '${KNOCK_BIN}' lint p; '${process.execPath}' '${KNOCK_BIN}' nosuch`, '2>/dev/null');
    await paneShows(() => /exit=\d/.test(pane()));
    const text = pane();
    expect(text).toMatch(/^open p: 127\.0\.0\.1 \(IPv4\), 2 knocks over 100 ms$/m);
    expect(text).toMatch(/^dry run: nothing was sent$/m);
    expect(text).toMatch(/^1 profile checked, 0 warnings$/m);
    expect(text).not.toMatch(/^knock:/m); // the unknown profile's error went to stderr
    expect(received).toBe(0);
  }, 30000);
});

// The spinner under a real pseudo-terminal (util-linux script(1)) and not on a pipe.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { KNOCK_BIN, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const TEXT = 'knocking 127.0.0.1 (3 knocks over 400 ms)';

let home: TempHome;
let sink: dgram.Socket;
let port: number;
beforeAll(async () => {
  home = new TempHome();
  sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  port = sink.address().port;
});
afterAll(() => {
  sink.close();
  home.cleanup();
});

/** Env of a user at a terminal: not CI, colours off so the output is plain. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...home.env, TERM: 'xterm', ...extra };
  if (!('CI' in extra)) delete env.CI;
  return env;
}

/** Runs knock with stdin, stdout and stderr on a pty sized 80x24 (a pty of width 0 gets no spinner). */
function onTty(args: string[], env: NodeJS.ProcessEnv) {
  const quoted = [process.execPath, KNOCK_BIN, ...args].map((a) => `'${a}'`).join(' ');
  return runProcess('script', ['-qec', `stty cols 80 rows 24; exec ${quoted}`, '/dev/null'], { env });
}

const knocks = () => ['-d', '200', '127.0.0.1', `${port}:udp`, `${port}:udp`, `${port}:udp`];

(hasScript ? describe : describe.skip)('spinner', () => {
  it('shows on a terminal while a long sequence runs, then clears', async () => {
    const r = await onTty(knocks(), userEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(TEXT);
    expect(r.stdout).toContain('knocked 127.0.0.1: 3 knocks in');
  });

  it('does not show on a pipe', async () => {
    const r = await runKnock(knocks(), { env: userEnv() });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^knocked 127\.0\.0\.1: 3 knocks in [\d.]+ ms\n$/);
  });

  it.each([
    ['--json', ['--json'], {}],
    ['-q', ['-q'], {}],
    ['CI', [], { CI: 'true' }],
  ])('does not show on a terminal with %s', async (_name, flags, extra) => {
    const r = await onTty([...flags, ...knocks()], userEnv(extra));
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('knocking');
  });

  it('does not show for a short sequence', async () => {
    const r = await onTty(['-d', '100', '127.0.0.1', `${port}:udp`, `${port}:udp`], userEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('knocking');
    expect(r.stdout).toContain('knocked 127.0.0.1: 2 knocks in');
  });
});

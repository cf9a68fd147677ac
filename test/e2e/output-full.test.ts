// stdout that cannot be written (a full disk: /dev/full): one line `knock: ...`, exit 1, no stack.
import { existsSync } from 'node:fs';
import { KNOCK_BIN, runProcess, TempHome } from '../helpers/run-knock.js';

const full = existsSync('/dev/full') ? describe : describe.skip;
let home: TempHome;
beforeEach(() => {
  home = new TempHome();
  home.writeConfig('profiles:\n  a:\n    host: 198.18.0.1\n    open: [7001, 7002]\n');
});
afterEach(() => home.cleanup());

const toFull = (args: string[]) =>
  runProcess('sh', ['-c', `exec "$0" "$@" > /dev/full`, process.execPath, KNOCK_BIN, ...args], { env: home.env });

full('stdout on /dev/full', () => {
  test.each([[['--version']], [['-V']], [['list']], [['list', '--json']], [['show', 'a']], [['open', '-n', 'a']], [['ssh-config', 'a', '-q']]])('knock %j', async (args) => {
    const result = await toFull(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('knock: cannot write the output: ENOSPC (no space left on device)\n');
  });
});

// A uid with no passwd entry and no HOME (os.homedir() throws uv_os_homedir) still runs knock.
import { existsSync } from 'node:fs';
import { publicKnockBin, runProcess } from '../helpers/run-knock.js';

const isRoot = process.getuid?.() === 0;
const rootTest = isRoot && existsSync('/usr/bin/setpriv') ? test : test.skip;
if (!isRoot) console.log('no-home: skipped, needs root to run as a uid without a passwd entry');

rootTest('knock --version as a uid with no passwd entry and HOME unset', async () => {
  const env = { ...process.env };
  delete env.HOME;
  const result = await runProcess(
    '/usr/bin/setpriv',
    ['--reuid=54321', '--regid=54321', '--clear-groups', process.execPath, publicKnockBin(), '--version'],
    { env, cwd: '/', timeoutMs: 20000 },
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});

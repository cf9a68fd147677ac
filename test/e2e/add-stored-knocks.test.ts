// knock add writes each knock as the store reads it back: a connect knock stays a connect knock.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());

test('add x h 7000:connect 7001 8000:udp: stored as written, shown as written', async () => {
  const r = await runKnock(['add', 'x', '127.0.0.1', '7000:connect', '7001', '8000:udp'], { env: home.env });
  // add says what lint says of the new profile (a connect knock and knockd): warnings, nothing else.
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^(knock: warning: .*\n)*$/);
  expect(readFileSync(path.join(home.configDir, 'config.yaml'), 'utf8')).toBe('profiles:\n  x:\n    host: 127.0.0.1\n    open: [7000:connect, 7001, 8000:udp]\n');
  const show = JSON.parse((await runKnock(['show', 'x', '--json'], { env: home.env })).stdout);
  expect(show.open).toEqual(['7000:connect', '7001', '8000:udp']);
});

// A profile named like a subcommand (every one of them, `rules` too) gets the warning that says
// how to knock it; the built bin/knock in a temp HOME.
import { runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());

test.each(['rules', 'ssh-config', 'ls'])("add %s: added, with the 'also a command' warning", async (name) => {
  const r = await runKnock(['add', name, '127.0.0.1', '7000', '7001'], { env: home.env });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`knock: warning: '${name}' is also a command: knock it with 'knock open ${name}'\n`);
});

test('a profile named like no command: no warning', async () => {
  const r = await runKnock(['add', 'office', '127.0.0.1', '7000', '7001'], { env: home.env });
  expect(r).toMatchObject({ code: 0, stderr: '' });
});

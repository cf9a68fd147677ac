// No byte lost: ~/.ssh/config edits keep bytes that are not UTF-8 (a Latin-1 comment), in the
// config and in its backup; and a store edit never writes a file bigger than the bound reading
// enforces (1 MiB), so knock cannot lock itself out of its own store.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KNOCK_BIN, TempHome, runKnock, runProcess } from '../helpers/run-knock.js';

const MIB = 1024 * 1024;

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

test('ssh-config --add keeps a Latin-1 byte (0xE9) in the config, and the backup is byte-identical', async () => {
  home.writeConfig('profiles:\n  p:\n    host: 198.18.0.2\n    open: [1111]\n');
  const ssh = path.join(home.dir, '.ssh', 'config');
  mkdirSync(path.dirname(ssh), { recursive: true, mode: 0o700 });
  const original = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\nHost a\n  User \xff\n', 'latin1')]);
  writeFileSync(ssh, original, { mode: 0o600 });
  const result = await runKnock(['ssh-config', 'p', '--add'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const after = readFileSync(ssh);
  expect(after.subarray(0, original.length).equals(original)).toBe(true);
  expect(after.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false);
  expect(after.subarray(original.length).toString('utf8')).toContain(`Host p\n`);
  expect(readFileSync(`${ssh}.knock-backup`).equals(original)).toBe(true);
  // ssh reads the new block.
  const g = await runProcess('ssh', ['-G', '-F', ssh, 'p'], { env: home.env });
  expect(/^proxycommand (.*)$/m.exec(g.stdout)?.[1]).toBe(`${KNOCK_BIN} proxy %n %p`);
});

test('a UTF-8 config stays UTF-8: its characters are kept as they were', async () => {
  home.writeConfig('profiles:\n  p:\n    host: 198.18.0.2\n    open: [1111]\n');
  const ssh = home.writeFile('.ssh/config', '# café ☕\nHost a\n');
  const result = await runKnock(['ssh-config', 'p', '--add'], { env: home.env });
  expect(result.code).toBe(0);
  expect(readFileSync(ssh, 'utf8')).toMatch(/^# café ☕\nHost a\n\nHost p\n/);
});

test('an add that would take the store past 1 MiB is refused before anything is written; the store still reads', async () => {
  const head = 'profiles:\n  a:\n    host: 127.0.0.1\n    open: [1]\n';
  const pad = MIB - 20 - head.length;
  const text = head + `#${'x'.repeat(pad - 2)}\n`;
  expect(Buffer.byteLength(text)).toBe(MIB - 20);
  const file = home.writeConfig(text);
  const result = await runKnock(['add', 'b', '127.0.0.1', '2', '3'], { env: home.env });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^knock: \S+config\.yaml: the edit would make it \d+ bytes, over the 1048576 bytes it may have to be read again; nothing written\n$/);
  expect(readFileSync(file, 'utf8')).toBe(text);
  const list = await runKnock(['list'], { env: home.env });
  expect(list.code).toBe(0);
  expect(list.stdout).toContain('a');
});

// Edits of a large store (10000 profiles, about 780 KB) end to end: `knock add` writes exactly
// the new profile's lines and `knock remove` cuts exactly them, every other byte as it was; an
// edit checks only what it writes, so a broken profile elsewhere is left alone without a word,
// while `list` still names it.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

/** Runs an edit that must go through without a word. */
async function edited(args: string[]): Promise<void> {
  const result = await runKnock(args, { env: home.env });
  expect({ args, stderr: result.stderr, code: result.code }).toEqual({ args, stderr: '', code: 0 });
}

function largeStore(count: number): string {
  let text = '# team\nprofiles:\n';
  for (let i = 0; i < count; i++) text += `  p${i}:\n    host: 198.18.${(i >> 8) & 255}.${i & 255}\n    open: [${7000 + (i % 100)}, 8000:udp, 9000]\n    port: 22\n`;
  return text + 'groups:\n  two: [p0, p1]\n';
}

test('add then remove on a 10000-profile store: exactly the new lines go in and come out again', async () => {
  const text = largeStore(10000);
  const file = home.writeConfig(text);
  await edited(['add', 'new-one', '198.18.0.1', '1', '2:udp', 'icmp', '-p', '22']);
  const groups = text.indexOf('groups:\n');
  const lines = '  new-one:\n    host: 198.18.0.1\n    port: 22\n    open: [1, 2:udp, icmp]\n';
  expect(readFileSync(file, 'utf8')).toBe(text.slice(0, groups) + lines + text.slice(groups));
  const read = parse(readFileSync(file, 'utf8')) as { profiles: Record<string, unknown> };
  expect(Object.keys(read.profiles)).toHaveLength(10001);
  expect(read.profiles['new-one']).toEqual({ host: '198.18.0.1', port: 22, open: [1, '2:udp', 'icmp'] });
  await edited(['remove', 'new-one']);
  expect(readFileSync(file, 'utf8')).toBe(text);
  // A profile in the middle: only its lines go.
  await edited(['remove', 'p5000']);
  const p5000 = text.indexOf('  p5000:\n');
  expect(readFileSync(file, 'utf8')).toBe(text.slice(0, p5000) + text.slice(text.indexOf('  p5001:\n')));
});

test('a description of several words is written plain on a large store, and list reads it back', async () => {
  const text = largeStore(10000);
  const file = home.writeConfig(text);
  await edited(['add', 'door', '198.18.0.1', '1', '2', '3', '--description', 'the office door']);
  const groups = text.indexOf('groups:\n');
  expect(readFileSync(file, 'utf8')).toBe(`${text.slice(0, groups)}  door:\n    host: 198.18.0.1\n    open: [1, 2, 3]\n    description: the office door\n${text.slice(groups)}`);
  const show = await runKnock(['show', 'door'], { env: home.env });
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(/^description: the office door$/m);
});

test('group edits on a large store change only the group lines; add -g writes the profile and its membership', async () => {
  const text = largeStore(10000);
  const file = home.writeConfig(text);
  await edited(['group', 'add', 'two', 'p9999']);
  expect(readFileSync(file, 'utf8')).toBe(text.replace('  two: [p0, p1]\n', '  two: [p0, p1, p9999]\n'));
  await edited(['add', 'door', '198.18.0.1', '1', '2', '3', '-g', 'new']);
  const groups = text.indexOf('groups:\n');
  expect(readFileSync(file, 'utf8')).toBe(`${text.slice(0, groups)}  door:\n    host: 198.18.0.1\n    open: [1, 2, 3]\ngroups:\n  two: [p0, p1, p9999]\n  new: [door]\n`);
  for (const args of [['group', 'remove', 'new', 'door'], ['remove', 'door'], ['group', 'remove', 'two', 'p9999']]) await edited(args);
  expect(readFileSync(file, 'utf8')).toBe(text);
});

test('an edit leaves a broken profile elsewhere alone and says nothing of it; list names it', async () => {
  const broken = '  broken:\n    host: 127.0.0.1\n    open: [0]\n';
  const text = largeStore(3).replace('groups:\n', `${broken}groups:\n`);
  const file = home.writeConfig(text);
  await edited(['add', 'new-one', '127.0.0.1', '1', '2', '3']);
  expect(readFileSync(file, 'utf8')).toContain(`${broken}  new-one:\n    host: 127.0.0.1\n    open: [1, 2, 3]\ngroups:\n`);
  const list = await runKnock(['list'], { env: home.env });
  expect(list.code).toBe(0);
  expect(list.stderr).toMatch(/^knock: warning: \S+config\.yaml: profile 'broken': open\[0\]: port 0/);
  // remove of a group member is still refused, naming the group, from the edit's own reading.
  const member = await runKnock(['remove', 'p1'], { env: home.env });
  expect(member.code).toBe(2);
  expect(member.stderr).toMatch(/^knock: p1 is in group two; take it out first/);
});

test('an edit still warns, once, of a store that others can read (and keeps its mode)', async () => {
  const file = home.writeConfig(largeStore(2));
  chmodSync(file, 0o644);
  const added = await runKnock(['add', 'new-one', '127.0.0.1', '1', '2', '3'], { env: home.env });
  expect(added.code).toBe(0);
  expect(added.stderr).toBe(`knock: warning: ${file} is readable by group and others (mode 0644); knock sequences are secrets: chmod 600 ${file}\n`);
  expect(statSync(file).mode & 0o777).toBe(0o644);
});

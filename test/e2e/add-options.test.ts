// knock add as a new user types it: lint's warnings at once, every profile key as an option,
// groups from the command line, description shown, a typo key named.
import { readFileSync } from 'node:fs';
import { runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());
const store = () => readFileSync(`${home.configDir}/config.yaml`, 'utf8');

test("knock add prints lint's warnings for the new profile, and adds it all the same", async () => {
  const add = await runKnock(['add', 'weak', '127.0.0.1', '22', '22', '--close', '22', '22', '-p', '22'], { env: home.env });
  expect(add.code).toBe(0);
  expect(add.stdout).toMatch(/^added profile weak in \S+config\.yaml\n$/);
  const warnings = add.stderr.split('\n').filter(Boolean);
  const lint = await runKnock(['lint', 'weak'], { env: home.env });
  expect(lint.code).toBe(1);
  const linted = lint.stdout.split('\n').filter((l) => l.includes(': warning: '));
  expect(warnings).toHaveLength(7);
  expect(warnings).toEqual(linted.map((l) => l.replace(/^weak: warning: /, 'knock: warning: weak: ')));
  const clean = await runKnock(['add', 'good', '127.0.0.1', '7000', '8000:udp', '9000'], { env: home.env });
  expect(clean).toMatchObject({ code: 0, stderr: '' });
});

test('ttl, source, open_for, family, payloads, description and groups as options; show and list print them', async () => {
  const add = await runKnock(
    ['add', 'office', '127.0.0.1', '7000', '8000:udp(hex:dead)', '9000', '--close', '9000', '7000', '--ttl', '9', '--source', '127.0.0.1', '--open-for', '60', '--description', 'the office gate', '-g', 'all', '--group', '@vpn', '-4'],
    { env: home.env },
  );
  expect(add.stderr).toBe('');
  expect(add.code).toBe(0);
  expect(add.stdout).toMatch(/^added profile office in \S+ \(@all, @vpn\)\n$/);
  expect(store()).toContain('open: [7000, {port: 8000, protocol: udp, payload: hex:dead}, 9000]');
  const show = await runKnock(['show', 'office'], { env: home.env });
  expect(show.stdout).toMatch(/^name: +office\ndescription: the office gate\n/);
  for (const line of ['open:        7000 8000:udp(hex:dead) 9000', 'open_for:    60 s', 'ttl:         9', 'source:      127.0.0.1', 'family:      4']) expect(show.stdout).toContain(line + '\n');
  const list = await runKnock(['list'], { env: home.env });
  expect(list.stdout).toBe('office  127.0.0.1  open 3 knocks, close 2 knocks  # the office gate\n@all  office\n@vpn  office\n');
  const json = JSON.parse((await runKnock(['list', '--json'], { env: home.env })).stdout);
  expect(json.profiles[0]).toMatchObject({ name: 'office', description: 'the office gate', ttl: 9, openFor: 60, family: 4, source: '127.0.0.1' });
  const dry = await runKnock(['-n', 'office'], { env: home.env });
  expect(dry.stdout).toContain('udp 8000, 2 bytes hex:dead');
  expect(dry.stdout.split('\n')[0]).toBe('open office: 127.0.0.1 (IPv4) from 127.0.0.1, TTL 9, 3 knocks over 200 ms');
});

test('bad option values are refused before anything is written', async () => {
  for (const [args, message] of [
    [['--ttl', '300'], /^knock: --ttl '300' is not a TTL \(1-255\)\n$/],
    [['--open-for', '1.5'], /^knock: --open-for '1\.5' is not a whole number of seconds/],
    [['--group', 'a b'], /^knock: group name 'a b' is not usable/],
    [['--description', 'x'.repeat(201)], /description must be a string of at most 200 characters/],
  ] as const) {
    const r = await runKnock(['add', 'p', '127.0.0.1', '1', '2', ...args], { env: home.env });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  }
  const payload = await runKnock(['add', 'p', '127.0.0.1', '1', '7000:tcp(hex:00)'], { env: home.env });
  expect(payload.code).toBe(2);
  expect(payload.stderr).toMatch(/^knock: /);
  expect(await runKnock(['list'], { env: home.env })).toMatchObject({ stdout: '' });
});

test('knock group add|remove GROUP PROFILE...: created by its first member, gone with its last; remove says how', async () => {
  for (const name of ['db', 'web']) expect((await runKnock(['add', name, '127.0.0.1', '7000', '8000'], { env: home.env })).code).toBe(0);
  const add = await runKnock(['group', 'add', 'all', 'db', 'web'], { env: home.env });
  expect(add).toMatchObject({ code: 0, stderr: '' });
  expect(add.stdout).toMatch(/^@all: db web \(in \S+\)\n$/);
  expect(store()).toContain('groups:\n  all: [db, web]\n');
  const refused = await runKnock(['remove', 'db'], { env: home.env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/^knock: db is in group all; take it out first \(knock group remove all db\), in /);
  const typo = await runKnock(['group', 'add', 'all', 'wbe'], { env: home.env });
  expect(typo.code).toBe(2);
  expect(typo.stderr).toMatch(/^knock: unknown profile 'wbe' in \S+; did you mean web\?\n$/);
  const notIn = await runKnock(['group', 'remove', '@all', 'nope'], { env: home.env });
  expect(notIn.code).toBe(2);
  expect(notIn.stderr).toBe('knock: nope is not in group all (members: db, web)\n');
  expect((await runKnock(['group', 'remove', '@all', 'db'], { env: home.env })).stdout).toMatch(/^@all: web /);
  expect((await runKnock(['remove', 'db'], { env: home.env })).code).toBe(0);
  const last = await runKnock(['group', 'remove', 'all', 'web'], { env: home.env });
  expect(last.stdout).toMatch(/^removed group @all from \S+ \(no members left\)\n$/);
  expect(store()).not.toContain('groups');
  const bad = await runKnock(['group', 'rename', 'all', 'web'], { env: home.env });
  expect(bad.code).toBe(2);
});

test("a typo key in the store: did you mean 'delay'", async () => {
  home.writeConfig('profiles:\n  office:\n    host: 127.0.0.1\n    open: [7000, 8000]\n    dealy: 50\n');
  const r = await runKnock(['-n', 'office'], { env: home.env });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/profile 'office': unknown key 'dealy' \(did you mean 'delay'\?\)/);
  const lint = await runKnock(['lint'], { env: home.env });
  expect(lint.stdout).toMatch(/unknown key 'dealy' \(did you mean 'delay'\?\)/);
});

test('description: in the store is shown by show and list, escapes made visible', async () => {
  home.writeConfig('profiles:\n  office:\n    host: 127.0.0.1\n    open: [7000, 8000]\n    description: "gate \\e[31mred"\n');
  const show = await runKnock(['show', 'office'], { env: home.env });
  expect(show.code).toBe(0);
  expect(show.stdout).not.toContain('\x1b');
  expect(show.stdout).toMatch(/^description: gate .*red$/m);
});

test('five `knock group add` at once: every member lands (each edit reads the groups under the lock)', async () => {
  const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
  home.writeConfig(`profiles:\n${names.map((n) => `  ${n}:\n    host: 127.0.0.1\n    open: [7000, 8000]\n`).join('')}`);
  const runs = await Promise.all(names.map((n) => runKnock(['group', 'add', 'all', n], { env: home.env })));
  for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
  const list = await runKnock(['list', '--json'], { env: home.env });
  const members = (JSON.parse(list.stdout) as { groups: { name: string; members: string[] }[] }).groups.find((g) => g.name === 'all')!.members;
  expect([...members].sort()).toEqual(names);
});

test('a JSON store gets its groups edited as JSON, the other keys kept', async () => {
  const file = home.writeFile('store.json', JSON.stringify({ profiles: { a: { host: '127.0.0.1', open: [7000, 8000] }, b: { host: '127.0.0.1', open: [7001, 8001] } }, groups: { old: ['a'] } }, null, 2));
  expect((await runKnock(['--config', file, 'group', 'add', 'new', 'a', 'b'], { env: home.env })).code).toBe(0);
  expect((await runKnock(['--config', file, 'group', 'remove', 'old', 'a'], { env: home.env })).code).toBe(0);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ profiles: { a: { host: '127.0.0.1', open: [7000, 8000] }, b: { host: '127.0.0.1', open: [7001, 8001] } }, groups: { new: ['a', 'b'] } });
  const add = await runKnock(['--config', file, 'add', 'c', '127.0.0.1', '7002', '8002', '-g', 'new'], { env: home.env });
  expect(add.code).toBe(0);
  expect(JSON.parse(readFileSync(file, 'utf8')).groups).toEqual({ new: ['a', 'b', 'c'] });
});

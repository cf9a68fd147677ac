import { editStoreBytes, isJsonStore } from '../../../src/store/edit-text.js';
import { spliceYaml } from '../../../src/store/edit-splice.js';
import { ConfigError } from '../../../src/shared/errors.js';

const STORE = `# my doors
profiles:
  # the office
  office:
    host: gate.example.com   # keep this comment
    open: [7000, 8000:udp, 9000]
  lab:
    host: 198.18.0.2
    open: [1111]
`;

const edit = (text: string, e: Parameters<typeof editStoreBytes>[2], file = 'config.yaml') => editStoreBytes(file, Buffer.from(text, 'utf8'), e).toString('utf8');

test('adding a profile appends its lines and leaves every other byte as it was', () => {
  const out = edit(STORE, { set: [['web', { host: 'web.example.com', open: [1, '2:udp'] }]] });
  expect(out.startsWith(STORE)).toBe(true);
  expect(out.slice(STORE.length)).toMatch(/^  web:\n    host: web\.example\.com\n    open: \[1, "?2:udp"?\]\n$/);
});

test('removing a profile cuts its lines only; comments and the other profile stay', () => {
  const out = edit(STORE, { remove: ['lab'] });
  expect(out).toBe(STORE.split('  lab:\n')[0]);
});

test('replacing a profile keeps its place', () => {
  const out = edit(STORE, { set: [['office', { host: 'gate2.example.com', open: [7000] }]] });
  expect(out.indexOf('gate2.example.com')).toBeLessThan(out.indexOf('lab:'));
  expect(out).toContain('# my doors');
  expect(out).toContain('  lab:\n    host: 198.18.0.2\n    open: [1111]\n');
  expect(out).not.toContain('gate.example.com');
});

test('CRLF line endings are kept for the lines added', () => {
  const crlf = STORE.replace(/\n/g, '\r\n');
  const out = edit(crlf, { set: [['web', { host: 'w', open: [1] }]] });
  expect(out.startsWith(crlf)).toBe(true);
  expect(out.slice(crlf.length)).not.toMatch(/[^\r]\n/);
});

test('an empty file gets a profiles mapping', () => {
  const out = edit('', { set: [['web', { host: 'w', open: [1] }]] });
  expect(out).toMatch(/^profiles:\n  web:\n    host: w\n    open: \[1\]\n$/);
});

test('a JSON store stays JSON', () => {
  const json = JSON.stringify({ profiles: { lab: { host: 'h', open: [1] } } });
  const out = edit(json, { set: [['web', { host: 'w', open: [2] }]] }, 'config.json');
  expect(JSON.parse(out)).toEqual({ profiles: { lab: { host: 'h', open: [1] }, web: { host: 'w', open: [2] } } });
});

test('isJsonStore: by extension, else by a first brace in a file without one', () => {
  expect(isJsonStore('a/config.json', '')).toBe(true);
  expect(isJsonStore('a/config.JSON', 'profiles: {}')).toBe(true);
  expect(isJsonStore('a/config', '  {"profiles": {}}')).toBe(true);
  expect(isJsonStore('a/config.yaml', '{"profiles": {}}')).toBe(false);
  expect(isJsonStore('a/config', 'profiles: {}')).toBe(false);
});

test("an edit's check sees the names in the store and can refuse", () => {
  const seen: string[][] = [];
  expect(() =>
    edit(STORE, {
      set: [['office', { host: 'x', open: [1] }]],
      check: (names) => {
        seen.push([...names]);
        throw new ConfigError('already there');
      },
    }),
  ).toThrow('already there');
  expect(seen).toEqual([['office', 'lab']]);
});

test('an invalid profile is refused before anything is written', () => {
  expect(() => edit(STORE, { set: [['bad', { host: 'x', open: [70000] }]] })).toThrow(ConfigError);
});

test('a file that is not a store is refused', () => {
  expect(() => edit('- just\n- a list\n', { set: [['web', { host: 'w', open: [1] }]] })).toThrow(ConfigError);
});

test('spliceYaml gives up (undefined) on a flow-style profiles mapping, and the rewrite does the edit', () => {
  const flow = 'profiles: {lab: {host: h, open: [1]}}\n';
  expect(spliceYaml('config.yaml', flow, { set: [['web', { host: 'w', open: [1] }]] })).toBeUndefined();
  const out = edit(flow, { set: [['web', { host: 'w', open: [1] }]] });
  expect(out).toContain('lab');
  expect(out).toContain('web');
});

/** A store in knock's plain shape with comments at every depth, blank lines and a groups key after the profiles. */
const PLAIN = `# team doors
profiles:
  # first
  a:
    host: 198.18.0.1
    open: [1, 2]

  b:
    host: 198.18.0.2   # b's host
    # inside b
    open: [3, 8000:udp]
    port: 22
# between, at column 0
  c:
    host: 198.18.0.3
    open: [4]
  # after c, at its indentation

groups:
  pair: [a, c]
`;

test('in the plain shape (read by the quick reader), removing a middle profile cuts exactly its lines', () => {
  const out = edit(PLAIN, { remove: ['b'] });
  const bStart = PLAIN.indexOf('  b:\n');
  expect(out).toBe(PLAIN.slice(0, bStart) + PLAIN.slice(PLAIN.indexOf('# between')));
});

test('in the plain shape, an add goes after the last profile and before what follows it; every other byte stays', () => {
  const out = edit(PLAIN, { set: [['d', { host: '198.18.0.4', open: [5] }]] });
  const at = PLAIN.indexOf('  # after c');
  expect(out).toBe(`${PLAIN.slice(0, at)}  d:\n    host: 198.18.0.4\n    open: [5]\n${PLAIN.slice(at)}`);
});

test('in the plain shape, a replace keeps its place and its neighbours byte for byte', () => {
  const out = edit(PLAIN, { set: [['b', { host: 'h', open: [9] }]] }, 'config.yaml');
  expect(out).toBe(`${PLAIN.slice(0, PLAIN.indexOf('  b:\n'))}  b:\n    host: h\n    open: [9]\n${PLAIN.slice(PLAIN.indexOf('# between'))}`);
});

test('a byte that is not UTF-8 in a comment (not the quick path) gives the same splice, the byte kept', () => {
  const latin = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(PLAIN.slice(PLAIN.indexOf('\n')))]);
  const plain = Buffer.from(PLAIN);
  const rest = (b: Buffer) => b.subarray(b.indexOf(0x0a));
  for (const e of [{ remove: ['b'] }, { set: [['d', { host: '198.18.0.4', open: [5] }]] as [string, { host: string; open: number[] }][] }]) {
    const fromLatin = editStoreBytes('config.yaml', latin, e);
    expect(fromLatin.subarray(0, 5)).toEqual(Buffer.from([0x23, 0x20, 0x63, 0x61, 0x66]));
    expect(fromLatin[5]).toBe(0xe9);
    expect(rest(fromLatin)).toEqual(rest(editStoreBytes('config.yaml', plain, e)));
  }
});

test('removing the first profile leaves the next one byte for byte', () => {
  expect(edit('profiles:\n  a:\n    open: [1]\n  b:\n    open: [2]\n', { remove: ['a'] })).toBe('profiles:\n  b:\n    open: [2]\n');
});

describe('groups in the plain shape are spliced line by line', () => {
  const STORE_G = '# doors\nprofiles:\n  a:\n    open: [1]\n  b:\n    open: [2]\n  c:\n    open: [3]\n# the groups\ngroups:\n  two: [a, b]\n  # kept\n  one: [c]\n';
  const groupsEdit = (groups: [string, { add?: string[]; remove?: string[] }][]) => edit(STORE_G, { groups });

  test('a member added: only its group line changes', () => {
    expect(groupsEdit([['two', { add: ['c'] }]])).toBe(STORE_G.replace('  two: [a, b]\n', '  two: [a, b, c]\n'));
  });
  test('a new group goes after the last one', () => {
    expect(groupsEdit([['new', { add: ['b', 'a'] }]])).toBe(`${STORE_G}  new: [b, a]\n`);
  });
  test('a group whose last member goes is cut; the comment stays', () => {
    expect(groupsEdit([['one', { remove: ['c'] }]])).toBe(STORE_G.replace('  one: [c]\n', ''));
  });
  test('the last group gone takes the groups key with it; a comment among the groups stays', () => {
    const out = edit('profiles:\n  a:\n    open: [1]\ngroups:\n  g: [a]\n', { groups: [['g', { remove: ['a'] }]] });
    expect(out).toBe('profiles:\n  a:\n    open: [1]\n');
    expect(groupsEdit([['one', { remove: ['c'] }], ['two', { remove: ['a', 'b'] }]])).toBe(STORE_G.replace('groups:\n  two: [a, b]\n', '').replace('  one: [c]\n', ''));
  });
  test('a store without groups gets the key at its end', () => {
    const text = '# doors\nprofiles:\n  a:\n    open: [1]\n';
    expect(edit(text, { groups: [['g', { add: ['a'] }]] })).toBe(`${text}groups:\n  g: [a]\n`);
    expect(edit(text.slice(0, -1), { groups: [['g', { add: ['a'] }]] })).toBe(`${text}groups:\n  g: [a]\n`);
  });
  test('a profile and its group in one edit (add -g)', () => {
    const out = edit(STORE_G, { set: [['d', { host: 'h', open: [4] }]], groups: [['two', { add: ['d'] }]] });
    expect(out).toBe(STORE_G.replace('  c:\n    open: [3]\n', '  c:\n    open: [3]\n  d:\n    host: h\n    open: [4]\n').replace('  two: [a, b]\n', '  two: [a, b, d]\n'));
  });
  test('a group name or member the quick reader would not read back goes through yaml, and reads back right', () => {
    const out = edit(STORE_G.replace('  c:\n', '  "123":\n').replace('one: [c]', 'one: ["123"]'), { groups: [['2x', { add: ['123'] }]] });
    expect(out).toMatch(/^ {2}"?2x"?: \[ ?"123" ?\]$/m);
  });
  test('a group naming a profile that is not there is refused, as before (the result would not read)', () => {
    expect(() => groupsEdit([['two', { add: ['zz'] }]])).toThrow(/this edit cannot be made safely here/);
  });
});

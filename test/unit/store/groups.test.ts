import { ConfigError } from '../../../src/shared/errors.js';
import { parseStore } from '../../../src/store/profiles.js';

const FILE = '/home/u/.config/knock/config.yaml';
const profiles = { a: { open: [1, 2] }, b: { open: [3, 4] }, c: { open: [5, 6] } };

test('groups: members in order, listed by name', () => {
  const store = parseStore({ profiles, groups: { fleet: ['c', 'a'], all: ['a', 'b', 'c'] } }, FILE);
  expect([...store.groups!.entries()]).toEqual([
    ['fleet', ['c', 'a']],
    ['all', ['a', 'b', 'c']],
  ]);
  expect(parseStore({ profiles }, FILE).groups).toBeUndefined();
});

test.each([
  [{ fleet: ['a', 'nope'] }, "group 'fleet': member 'nope' is not a profile in this store"],
  [{ fleet: ['a', '@all'], all: ['a'] }, "group 'fleet': member '@all' is a group; groups do not nest"],
  [{ fleet: ['a', 'a'] }, "group 'fleet': member 'a' is listed twice"],
  [{ fleet: [] }, "group 'fleet': expected a non-empty list of profile names"],
  [{ fleet: 'a' }, "group 'fleet': expected a non-empty list of profile names"],
  [{ fleet: [7] }, "group 'fleet': member 7 is not a profile name"],
  [{ 'no way': ['a'] }, "group 'no way': a group name is letters, digits and _ . + -"],
  [['a'], "'groups' must be a mapping"],
])('groups %j: a config error naming group and member', (groups, message) => {
  expect(() => parseStore({ profiles, groups }, FILE)).toThrow(ConfigError);
  expect(() => parseStore({ profiles, groups }, FILE)).toThrow(`${FILE}: ${message}`);
});

test('one_time_sequences: the open sequences come from the file (relative to the store); no open list with it', () => {
  const store = parseStore({ profiles: { ot: { host: 'h', one_time_sequences: 'one-time/ot', close: [9, 8] } } }, FILE);
  expect(store.profiles.get('ot')).toMatchObject({ open: [], oneTimeSequences: '/home/u/.config/knock/one-time/ot', close: [{ protocol: 'tcp', port: 9 }, { protocol: 'tcp', port: 8 }] });
  // A broken profile is set aside with its errors (the others stay usable).
  const errors = (profile: object) => parseStore({ profiles: { ot: profile } }, FILE).broken?.get('ot')?.join('; ');
  expect(errors({ one_time_sequences: 'x', open: [1] })).toBe("give either 'open' or 'one_time_sequences' (the file is the open sequences), not both");
  expect(errors({ one_time_sequences: '' })).toMatch(/one_time_sequences must be the path of a file/);
  expect(errors({ host: 'h' })).toMatch(/open: missing/);
});

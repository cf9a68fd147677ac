import { componentRegex, expandGlob } from '../../../src/ssh/path-glob.js';
import { memorySshFs } from '../../helpers/fakes.js';

const fs = memorySshFs({ '/h/.ssh/conf.d/b.conf': '', '/h/.ssh/conf.d/a.conf': '', '/h/.ssh/conf.d/.hidden.conf': '', '/h/.ssh/conf.d/x.txt': '', '/h/.ssh/d2/z/c.conf': '' });
const globFs = { readdir: (d: string) => fs.readdir(d), exists: (f: string) => fs.stat(f).then(() => true, () => false) };

test('sorted matches; a leading dot only matches literally', async () => {
  expect(await expandGlob('/h/.ssh/conf.d/*.conf', globFs)).toEqual(['/h/.ssh/conf.d/a.conf', '/h/.ssh/conf.d/b.conf']);
  expect(await expandGlob('/h/.ssh/conf.d/.*', globFs)).toEqual(['/h/.ssh/conf.d/.hidden.conf']);
  expect(await expandGlob('/h/.ssh/*/*/c.conf', globFs)).toEqual(['/h/.ssh/d2/z/c.conf']);
});

test('without wildcards: the path if it exists, else nothing', async () => {
  expect(await expandGlob('/h/.ssh/conf.d/a.conf', globFs)).toEqual(['/h/.ssh/conf.d/a.conf']);
  expect(await expandGlob('/h/.ssh/nope', globFs)).toEqual([]);
  expect(await expandGlob('/nowhere/*', globFs)).toEqual([]);
});

test('fnmatch: ? is one character, [...] and [!...] classes', () => {
  expect(componentRegex('a?c').test('abc')).toBe(true);
  expect(componentRegex('a?c').test('ac')).toBe(false);
  expect(componentRegex('[ab]*').test('b1')).toBe(true);
  expect(componentRegex('[!ab]*').test('b1')).toBe(false);
  expect(componentRegex('*').test('.x')).toBe(false);
});

// The help's wrap: on words, existing breaks kept, only a word longer than a line cut.
import { stripAnsi, wrap } from '../../../src/cli/word-wrap.js';

test('breaks at spaces, never inside a word', () => {
  expect(wrap('add a profile to your store (creates it, mode 0600, if needed)', 30)).toBe('add a profile to your store\n(creates it, mode 0600, if\nneeded)');
  for (const line of wrap('the profile store (default: $KNOCK_CONFIG, else $XDG_CONFIG_HOME/knock/config.yaml)', 20).split('\n')) expect(line.length).toBeLessThanOrEqual(20);
});

test('keeps its line breaks; cuts only a word wider than the line', () => {
  expect(wrap('one two\nthree four', 9)).toBe('one two\nthree\nfour');
  expect(wrap('a /very/long/path/name b', 8)).toBe('a\n/very/lo\nng/path/\nname b');
  expect(wrap('', 10)).toBe('');
  expect(wrap('no width', 0)).toBe('no width');
});

test('colour codes are dropped, as wrap-ansi measures without them', () => {
  expect(stripAnsi('\x1b[31mred\x1b[0m')).toBe('red');
  expect(wrap('\x1b[1mbold\x1b[0m word', 4)).toBe('bold\nword');
});

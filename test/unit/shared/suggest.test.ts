import { editDistance, nearest } from '../../../src/shared/suggest.js';

test('edit distance counts a swap of neighbours once', () => {
  expect(editDistance('lnit', 'lint')).toBe(1);
  expect(editDistance('offfice', 'office')).toBe(1);
  expect(editDistance('abc', 'xyz')).toBe(3);
});

test('nearest: a typo gets its name; something unlike every name gets none', () => {
  const names = ['open', 'close', 'list', 'lint', 'office'];
  expect(nearest('lnit', names)).toBe('lint');
  expect(nearest('offfice', names)).toBe('office');
  expect(nearest('--dryrun', ['--dry-run', '--delay'])).toBe('--dry-run');
  expect(nearest('zzzzzz', names)).toBeUndefined();
  expect(nearest('list', names)).toBe('lint'); // the word itself is never suggested
});

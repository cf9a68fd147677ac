import { printable, shownValue } from '../../../src/shared/printable.js';

test('control characters, DEL, C1 and bidi overrides are escaped; the rest is kept', () => {
  expect(printable('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
  expect(printable('one\ntwo\r\tthree')).toBe('one\\ntwo\\r\\tthree');
  expect(printable('\x00\x7f\x9b')).toBe('\\x00\\x7f\\x9b');
  expect(printable('abc\u202egpj.exe')).toBe('abc\\u202egpj.exe');
  expect(printable('\u2028')).toBe('\\u2028');
  expect(printable('café ü 日本')).toBe('café ü 日本');
});

test('long text is cut, with the cut shown', () => {
  expect(printable('x'.repeat(50), 10)).toBe('xxxxxxxxxx...');
  expect(printable('short', 10)).toBe('short');
});

test('a value as messages show it: numbers as written (NaN, Infinity), the rest as JSON, escaped and cut', () => {
  expect(shownValue(1e303)).toBe('1e+303');
  expect(shownValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
  expect(shownValue(Number.NaN)).toBe('NaN');
  expect(shownValue('abc')).toBe('"abc"');
  expect(shownValue('\u001b[31m')).toBe('"\\u001b[31m"');
  expect(shownValue('\u202e')).toBe('"\\u202e"');
  expect(shownValue('x'.repeat(60))).toBe(`"${'x'.repeat(39)}...`);
  expect(shownValue(undefined)).toBe('undefined');
});

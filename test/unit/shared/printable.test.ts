import { printable } from '../../../src/shared/printable.js';

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

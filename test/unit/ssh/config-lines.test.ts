import { parseSshLines, splitArgs } from '../../../src/ssh/config-lines.js';

test('keywords lowercased; `=` or blanks separate; comments, blank lines and CRs dropped', () => {
  const lines = parseSshLines('# c\n\nHostName=a.example\r\n  port = 22\n\tProxyCommand  nc %h %p   \nUser "x y" # note\n');
  expect(lines.map((l) => [l.line, l.keyword, l.args, l.rest])).toEqual([
    [3, 'hostname', ['a.example'], 'a.example'],
    [4, 'port', ['22'], '22'],
    [5, 'proxycommand', ['nc', '%h', '%p'], 'nc %h %p'],
    [6, 'user', ['x y'], '"x y" # note'],
  ]);
});

test('argv_split: quotes, escapes, a # word ends the line', () => {
  expect(splitArgs(`a "b c" 'd e' f\\ g "h\\"i" #rest`)).toEqual(['a', 'b c', 'd e', 'f g', 'h"i']);
  expect(splitArgs('a#b c')).toEqual(['a#b', 'c']);
});

import { parseSshLines, splitArgs } from '../../../src/ssh/config-lines.js';
import { seeded } from '../../helpers/fakes.js';

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

/** argv_split of a text without quotes or backslashes: its blank-separated words, up to a word that starts with `#`. */
function referenceSplit(text: string): string[] {
  if (/["'\\]/.test(text)) return splitArgs(text);
  const words = text.split(/[ \t]+/).filter(Boolean);
  const comment = words.findIndex((w) => w.startsWith('#'));
  return comment < 0 ? words : words.slice(0, comment);
}

/** The regular-expression reader parseSshLines replaced: the reference it must agree with. */
function reference(text: string) {
  const lines: { line: number; keyword: string; args: string[]; rest: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const stripped = raw.replace(/[ \t\r\n\f]+$/, '');
    const match = /^[ \t]*([^ \t=]*)(?:[ \t]*=[ \t]*|[ \t]+|$)([\s\S]*)$/.exec(stripped);
    if (!match) return;
    const [, keyword = '', rest = ''] = match;
    if (keyword === '' || keyword.startsWith('#')) return;
    lines.push({ line: i + 1, keyword: keyword.toLowerCase(), args: referenceSplit(rest), rest: rest.replace(/^[ \t=]+/, '') });
  });
  return lines;
}

test('3000 seeded texts of blanks, =, #, quotes, escapes, \\r and \\f: read as the regular-expression reader read them', () => {
  const random = seeded(2026);
  const pieces = [' ', '  ', '\t', '=', '#', 'Host', 'port', 'a', 'b.c', '"', "'", '\\', '\r', '\f', '\n', '\n', '%h', 'x y'];
  for (let t = 0; t < 3000; t++) {
    let text = '';
    const count = Math.floor(random() * 30);
    for (let i = 0; i < count; i++) text += pieces[Math.floor(random() * pieces.length)];
    expect({ text, lines: parseSshLines(text) }).toEqual({ text, lines: reference(text) });
  }
});

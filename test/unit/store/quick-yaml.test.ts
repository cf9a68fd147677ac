// The quick store reader against yaml itself, on seeded random texts made of the pieces that
// YAML reads in surprising ways: wherever the quick reader answers, yaml reads the same value
// without an error; everything else it declines.
import { parseDocument } from 'yaml';
import { quickStore } from '../../../src/store/quick-yaml.js';
import { seeded } from '../../helpers/fakes.js';

const GOOD_KEYS = ['profiles', 'groups', 'office', 'a', 'b', 'web-1', 'x.y', 'host', 'open', 'close', 'port', 'y', 'on', '_u', 'a@b', 'a/b', 'a+b'];
const BAD_KEYS = ['true', 'Null', 'null', '1door', '12', 'a:b', '__proto__', "'q'", '"q"', '~', '-a', '.inf', '&x a', '? a', 'a#b', 'é', 'a b'];
// Phrases: words one space apart, a string in a block mapping whatever the words are.
const PHRASES = ['two words', 'the office door', '22 x', 'true x', 'null null', 'a-b c.d', 'x /y', '1e3 b', 'a b@c d+e', 'a:b c', 'ssh - via bastion', 'a ...'];
const BAD_PHRASES = ['a  b', 'a: b', 'a :b', 'a b:', 'a b:c', 'a ,b', 'a [b]', 'a b]', 'a {b}', "a 'b'", 'a "b"', 'a *b', 'a &b', 'a !b', 'a |', 'a >', '-a b', '@a b', 'a\u00a0b', 'é b', 'a é', 'a %b', 'a `b`', '? a', 'a ? b'];
const GOOD_WORDS = ['1', '22', '007', '198.18.0.1', '2001:db8::1', '8000:udp', 'icmp:56', 'icmp', 'a:b', 'yes', 'no', 'on', 'off', 'gw.example.com', 'x_y', '1194/udp', '123456789012345', 'a-b'];
const BAD_WORDS = ['1e3', '0x1f', '0o7', '0o8', '1.5', '1.', '.5', '.inf', '.nan', '::1', 'a:', '-1', '+1', '~', 'True', 'FALSE', 'null', '"q"', "'q'", '&a x', '*a', '!t x', 'a#b', 'a #c', '9'.repeat(16), 'a,b', 'a]', 'é', '|', '>', '{a: 1}', '- x'];
const GOOD_FLOWS = ['[1, 8000:udp, 9000]', '[]', '[ 1 ,2 ]', '[1,2]', '[a, b]', '[1, 2] # c', '[8000:udp]', '[icmp:56,icmp]'];
const BAD_FLOWS = ['[a,]', '[[1]]', '[a: b]', '[1, {a: 1}]', '[1, 2]x', '[ ]', '[1, 0x1f]', '[True]', '[1', '[a #b]'];
const TAILS = ['', '', '', ' ', '  # note', ' #', '#x', '\t'];
const ODD_LINES = ['', '# comment', '  # indented comment', '---', '...', '%YAML 1.1', '- item', '  - 1', '\t', 'key: |', '  text', 'a:b'];

function randomText(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const odd = () => random() < 0.04;
  const key = () => (odd() ? pick(BAD_KEYS) : pick(GOOD_KEYS));
  const lines: string[] = [];
  let level = 0;
  let open = false;
  const count = 1 + Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    // Mostly well nested: deeper after a key without a value, else the same level or shallower.
    level = open ? level + (odd() ? 1 : 2) : Math.max(0, level - 2 * Math.floor(random() * 2.5));
    if (odd()) level = Math.floor(random() * 7);
    const indent = ' '.repeat(level);
    const roll = random();
    open = false;
    if (roll < 0.04) lines.push(pick(ODD_LINES));
    else if (roll < 0.4) {
      lines.push(`${indent}${key()}:${odd() ? pick(TAILS) : ''}`);
      open = true;
    } else if (roll < 0.6) lines.push(`${indent}${key()}: ${odd() ? pick(BAD_WORDS) : pick(GOOD_WORDS)}${odd() ? pick(TAILS) : ''}`);
    else if (roll < 0.7) lines.push(`${indent}${key()}: ${random() < 0.3 ? pick(BAD_PHRASES) : pick(PHRASES)}${odd() ? pick(TAILS) : ''}`);
    else lines.push(`${indent}${key()}: ${odd() ? pick(BAD_FLOWS) : pick(GOOD_FLOWS)}${odd() ? pick(TAILS) : ''}`);
  }
  return lines.join(random() < 0.05 ? '\r\n' : '\n') + pick(['', '\n', '\n\n']);
}

const viaYaml = (text: string) => {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
  return doc.errors.length > 0 || doc.warnings.length > 0 ? 'error' : doc.toJS({ maxAliasCount: 100 });
};

test('5000 seeded texts: the quick reader gives what yaml gives, or declines', () => {
  const random = seeded(2222);
  let answered = 0;
  for (let i = 0; i < 5000; i++) {
    const text = randomText(random);
    const quick = quickStore(text);
    if (!quick) continue;
    answered++;
    expect({ text, value: quick.value }).toEqual({ text, value: viaYaml(text) });
    const profiles = quick.value.profiles;
    if (quick.profiles?.entries) {
      expect(quick.profiles.entries.map((e) => e.name)).toEqual(Object.keys(profiles as object));
      for (const e of quick.profiles.entries) expect(text.slice(e.lineStart).trimStart().startsWith(`${e.name}:`)).toBe(true);
    }
    if (quick.groups?.entries) {
      expect(quick.groups.entries.map((e) => e.name)).toEqual(Object.keys(quick.value.groups as object));
      for (const e of quick.groups.entries) expect(text.slice(e.lineStart).trimStart().startsWith(`${e.name}:`)).toBe(true);
    }
  }
  // The generator must reach both sides, or the comparison proves little.
  expect(answered).toBeGreaterThan(1500);
  expect(answered).toBeLessThan(4900);
});

test('a store as knock writes it is read quickly, with its outline', () => {
  const text = '# mine\nprofiles:\n  office:\n    host: gw.example.com\n    open: [7000, 8000:udp, 9000]\n    close: [9000]\n    port: 22\n\n  lab:\n    host: 2001:db8::1\n    open: [icmp:56]\ngroups:\n  all: [office, lab]\n';
  const quick = quickStore(text);
  expect(quick?.value).toEqual(parseDocument(text).toJS());
  expect(quick?.profiles).toEqual({ lineStart: 7, indent: 0, entries: [{ name: 'office', lineStart: 17 }, { name: 'lab', lineStart: text.indexOf('  lab:') }] });
  expect(quick?.groups).toEqual({ lineStart: text.indexOf('groups:'), indent: 0, entries: [{ name: 'all', lineStart: text.indexOf('  all:') }] });
});

test('a phrase in a block mapping is read as the string yaml reads; anything else with a space is declined or read the same', () => {
  for (const phrase of PHRASES) {
    const text = `profiles:\n  p:\n    description: ${phrase}\n`;
    expect({ phrase, value: quickStore(text)?.value }).toEqual({ phrase, value: viaYaml(text) });
    expect((quickStore(text)?.value.profiles as { p: { description: string } }).p.description).toBe(phrase);
  }
  for (const phrase of BAD_PHRASES) {
    const text = `profiles:\n  p:\n    description: ${phrase}\n`;
    const quick = quickStore(text);
    if (quick) expect({ phrase, value: quick.value }).toEqual({ phrase, value: viaYaml(text) });
  }
  // In a flow list a phrase is not taken.
  expect(quickStore('profiles:\n  p:\n    open: [a b]\n')).toBeUndefined();
});

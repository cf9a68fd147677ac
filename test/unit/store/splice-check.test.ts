// readSplice answers what the quick reader reads from the whole new text, from the changed lines
// alone, or declines: held on the splices knock makes and on seeded random cuts of every kind
// (mid-entry, across the mapping's end, new lines at odd indentation, repeated names, bytes
// changed outside the cuts), where any answer must equal a full reading of the result.
import { spliceEdit, type Cut } from '../../../src/store/edit-splice.js';
import { quickStore } from '../../../src/store/quick-yaml.js';
import { readSplice } from '../../../src/store/splice-check.js';
import type { StoreEdit } from '../../../src/store/store-edit.js';
import { seeded } from '../../helpers/fakes.js';

const STORE = `# team
profiles:
  a:
    host: 198.18.0.1
    open: [1, 2:udp, 3]
  # about b
  b:
    host: b.example
    open: [4]
    spa:
      port: 62201
      allow: [22/tcp]

  c:
    open: [5]
# after the profiles
groups:
  two: [a, c]
`;

function apply(text: string, cuts: readonly Cut[]): string {
  let out = '';
  let at = 0;
  for (const cut of cuts) {
    out += text.slice(at, cut.from) + cut.text;
    at = cut.to;
  }
  return out + text.slice(at);
}

function check(text: string, cuts: readonly Cut[], out = Buffer.from(apply(text, cuts), 'latin1')) {
  const quick = quickStore(text)!;
  return { proven: readSplice(Buffer.from(text, 'latin1'), text, quick, cuts, out), full: quickStore(out.toString('utf8'))?.value };
}

test.each<[string, StoreEdit]>([
  ['add', { set: [['d', { host: '198.18.0.4', open: [6, 7] }]] }],
  ['remove a middle one', { remove: ['b'] }],
  ['remove the first', { remove: ['a'] }],
  ['remove the last', { remove: ['c'] }],
  ['replace', { set: [['b', { host: 'other', open: [9] }]] }],
  ['several at once', { set: [['a', { open: [1] }], ['e', { open: [2] }]], remove: ['c'] }],
])('the splice knock makes (%s) is proven from its lines, the same as a full reading', (_name, edit) => {
  const spliced = spliceEdit('config.yaml', STORE, edit, quickStore(STORE))!;
  expect(spliced.cuts).toBeDefined();
  const { proven, full } = check(STORE, spliced.cuts!);
  expect(proven).toBeDefined();
  expect(proven).toEqual(full);
});

test('a store without a final newline: the added lines start one', () => {
  const text = STORE.slice(0, STORE.indexOf('# after')) + '    close: [8]';
  const spliced = spliceEdit('config.yaml', text, { set: [['d', { open: [6] }]] }, quickStore(text))!;
  const { proven, full } = check(text, spliced.cuts!);
  expect(proven).toEqual(full);
  expect((full!.profiles as Record<string, unknown>).c).toEqual({ open: [5], close: [8] });
});

describe('what it declines', () => {
  const at = (s: string) => STORE.indexOf(s);
  const entry = (name: string, indent = 2) => `${' '.repeat(indent)}${name}:\n${' '.repeat(indent + 2)}open: [1]\n`;
  test.each<[string, Cut[]]>([
    ['a cut that starts inside an entry', [{ from: at('    open: [4]'), to: at('  c:'), text: '' }]],
    ['a cut that ends inside an entry (its rest would fall under the new lines)', [{ from: at('  b:'), to: at('    spa:'), text: entry('x') }]],
    ['new lines deeper than the entries', [{ from: at('  c:'), to: at('  c:'), text: entry('x', 4) }]],
    ['new lines shallower than the entries', [{ from: at('  c:'), to: at('  c:'), text: entry('x', 1) }]],
    ['a new root key among the new lines', [{ from: at('  c:'), to: at('  c:'), text: entry('x') + 'extra: 1\n' }]],
    ['a name that is already there', [{ from: at('  c:'), to: at('  c:'), text: entry('a') }]],
    ['new lines the quick reader declines', [{ from: at('  c:'), to: at('  c:'), text: '  x:\n    host: "q"\n' }]],
    ['new lines without their last newline', [{ from: at('  c:'), to: at('  c:'), text: '  x:\n    open: [1]' }]],
    ['a cut past the profiles mapping', [{ from: at('  c:'), to: at('  two:'), text: '' }]],
    ['every profile removed (the reader says null there)', [{ from: at('  a:'), to: at('# after'), text: '' }]],
  ])('%s', (_name, cuts) => {
    expect(check(STORE, cuts).proven).toBeUndefined();
  });

  test('a byte changed before, between or after the cuts', () => {
    const cuts = [{ from: at('  b:'), to: at('  c:'), text: '' }];
    const out = Buffer.from(apply(STORE, cuts), 'latin1');
    for (const offset of [3, at('  b:') - 2, out.length - 3]) {
      const changed = Buffer.from(out);
      changed[offset] = 0x78;
      expect(check(STORE, cuts, changed).proven).toBeUndefined();
    }
    expect(check(STORE, cuts, Buffer.concat([out, Buffer.from('x: 1\n')])).proven).toBeUndefined();
  });
});

test('3000 seeded random cuts: wherever readSplice answers, a full quick reading of the result gives the same', () => {
  const random = seeded(8080);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const names = ['a', 'b', 'c', 'd', 'e', 'web-1', 'x.y'];
  const pieces = [
    (n: string) => `  ${n}:\n    open: [1, 2]\n`,
    (n: string) => `  ${n}:\n    host: h\n    spa:\n      port: 1\n`,
    (n: string) => `  ${n}:\n`,
    () => '\n',
    () => '  # note\n',
    () => '# root note\n',
    (n: string) => `    ${n}: 1\n`,
    (n: string) => ` ${n}:\n   open: [1]\n`,
    (n: string) => `${n}: 1\n`,
    (n: string) => `  ${n}: [1, "q"]\n`,
    (n: string) => `  ${n}:\n    open: [1]`,
  ];
  let answered = 0;
  for (let i = 0; i < 3000; i++) {
    let text = 'profiles:\n';
    const count = 1 + Math.floor(random() * 5);
    for (let k = 0; k < count; k++) text += random() < 0.8 ? pieces[0]!(`p${k}`) : pick(pieces.slice(1, 5))(`p${k}`);
    if (random() < 0.5) text += pick(['groups:\n  g: [p0]\n', '# end\n', 'groups:\n']);
    const quick = quickStore(text);
    if (!quick?.profiles?.entries?.length) continue;
    const starts = [0];
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
    const cuts: Cut[] = [];
    let floor = 0;
    for (let c = 0; c < 1 + Math.floor(random() * 2); c++) {
      const from = pick(starts.filter((s) => s >= floor));
      const to = random() < 0.4 ? from : pick(starts.filter((s) => s >= from));
      let added = '';
      for (let k = 0; k < Math.floor(random() * 3); k++) added += random() < 0.6 ? pieces[0]!(pick(names)) : pick(pieces)(pick(names));
      cuts.push({ from, to, text: added });
      floor = to + 1;
    }
    const out = Buffer.from(apply(text, cuts), 'latin1');
    const proven = readSplice(Buffer.from(text, 'latin1'), text, quick, cuts, out);
    if (proven === undefined) continue;
    answered++;
    expect({ text, cuts, value: proven }).toEqual({ text, cuts, value: quickStore(out.toString('utf8'))?.value });
  }
  // Both sides reached, or the comparison proves little.
  expect(answered).toBeGreaterThan(300);
  expect(answered).toBeLessThan(2900);
});

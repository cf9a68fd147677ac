// Class 8 (cost that grows out of hand), measured by a COUNT of work, never by time: every call
// of the string and array methods that read text or scan lists (charCodeAt, indexOf, slice,
// trim..., and the elements includes/indexOf walk) is counted while a store of n and 4n
// profiles is read, added to and removed from, and while an ssh config of n and 4n Host blocks
// is read for an unknown target. Linear work is about 4x; a scan from the top per entry is 16x.
import { editStoreBytes, readForEdit, type StoreEdit } from '../../../src/store/edit-text.js';
import { parseStoreText } from '../../../src/store/store-yaml.js';
import { parseStore } from '../../../src/store/profiles.js';
import { parseSshLines } from '../../../src/ssh/config-lines.js';
import { evaluateFor, indexConfig } from '../../../src/ssh/evaluate.js';

const STRING_METHODS = ['charCodeAt', 'charAt', 'indexOf', 'lastIndexOf', 'slice', 'substring', 'trim', 'trimStart', 'trimEnd', 'split', 'startsWith', 'endsWith', 'includes'] as const;

/** The reads `work` makes, counted by wrapping the methods for its (synchronous) duration. */
function counted(work: () => void): number {
  let count = 0;
  const saved: [object, string, unknown][] = [];
  const wrap = (proto: Record<string, unknown>, name: string, weight: (self: unknown) => number) => {
    const original = proto[name] as (...args: unknown[]) => unknown;
    saved.push([proto, name, original]);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      count += weight(this);
      return original.apply(this, args);
    };
  };
  for (const name of STRING_METHODS) wrap(String.prototype as unknown as Record<string, unknown>, name, () => 1);
  for (const name of ['includes', 'indexOf']) wrap(Array.prototype as unknown as Record<string, unknown>, name, (self) => (self as unknown[]).length);
  try {
    work();
  } finally {
    for (const [proto, name, original] of saved) (proto as Record<string, unknown>)[name] = original;
  }
  return count;
}

function store(n: number): Buffer {
  let text = '# team\nprofiles:\n';
  for (let i = 0; i < n; i++) text += `  p${i}:\n    host: 198.18.${(i >> 8) & 255}.${i & 255}\n    open: [${7000 + (i % 100)}, 8000:udp, 9000]\n    port: 22\n`;
  return Buffer.from(text + 'groups:\n  two: [p0, p1]\n');
}

const FILE = '/h/.config/knock/config.yaml';
const list = (bytes: Buffer) => () => void parseStore(parseStoreText(FILE, bytes.toString('utf8')), FILE);
const add = (bytes: Buffer) => () => void editStoreBytes(FILE, bytes, { set: [['new-one', { host: '198.18.0.1', open: [1, 2, 3] }]] });
const remove = (bytes: Buffer) => () => void editStoreBytes(FILE, bytes, { remove: [`p${Math.floor(bytes.length / 200)}`] });
const groupAdd = (bytes: Buffer) => () => void editStoreBytes(FILE, bytes, { groups: [['two', { add: [`p${Math.floor(bytes.length / 200)}`] }]] });

function sshConfig(n: number): string {
  let text = 'Host *.corp\n  User me\n';
  for (let i = 0; i < n; i++) text += `Host h${i}\n  HostName 198.18.${(i >> 8) & 255}.${i & 255}\n  Port 22\n  User u\n\n`;
  return text;
}
const lookup = (text: string) => () => {
  const evaluation = evaluateFor(indexConfig({ file: 'config', lines: parseSshLines(text) }), 'unknown-target', { localUser: 'me' });
  expect(evaluation.values.get('user')).toBeUndefined();
};

const growth = (make: (n: number) => () => void, n: number) => counted(make(4 * n)) / counted(make(n));

test.each([
  ['list (read and validate)', (n: number) => list(store(n))],
  ['add', (n: number) => add(store(n))],
  ['remove', (n: number) => remove(store(n))],
  ['group add', (n: number) => groupAdd(store(n))],
  ['ssh config, unknown target', (n: number) => lookup(sshConfig(n))],
])('%s: 4x the size costs about 4x the counted reads, not 16x', (_name, make) => {
  const ratio = growth(make, 400);
  expect(ratio).toBeGreaterThan(3);
  expect(ratio).toBeLessThan(5);
});

test('the count sees quadratic work: a scan from the top for each line counts about 16x at 4x the lines', () => {
  const quadratic = (n: number) => () => {
    const text = 'x\n'.repeat(n);
    for (let line = 0; line < n; line++) {
      let at = 0;
      for (let k = 0; k < line; k++) at = text.indexOf('\n', at) + 1;
    }
  };
  expect(growth(quadratic, 100)).toBeGreaterThan(12);
  const members = (n: number) => () => {
    const list: number[] = [];
    for (let i = 0; i < n; i++) if (!list.includes(i)) list.push(i);
  };
  expect(growth(members, 100)).toBeGreaterThan(12);
});

describe('an edit reads the store once', () => {
  // The reading made before the edit lock (writable-store.ts) is the one the edit uses when
  // the bytes under the lock are the same: the edit then costs a fraction of one reading.
  const bytes = store(2000);
  const onePass = counted(() => void readForEdit(FILE, bytes));
  const edits: [string, StoreEdit][] = [
    ['add', { set: [['new-one', { host: '198.18.0.1', open: [1, 2, 3] }]] }],
    ['remove', { remove: ['p1000'] }],
    ['replace', { set: [['p5', { host: '198.18.0.5', open: [4] }]] }],
  ];
  test.each(edits)('%s with the earlier reading: well under one more pass over the store', (_name, edit) => {
    const reading = readForEdit(FILE, bytes);
    const work = counted(() => void editStoreBytes(FILE, Buffer.from(bytes), edit, reading));
    expect(work / onePass).toBeLessThan(0.2);
  });
  test.each(edits)('%s when another run wrote meanwhile: the new bytes are read again (one pass more)', (_name, edit) => {
    const reading = readForEdit(FILE, store(1999));
    const work = counted(() => void editStoreBytes(FILE, bytes, edit, reading));
    expect(work / onePass).toBeGreaterThan(0.95);
    expect(work / onePass).toBeLessThan(1.35);
  });
});

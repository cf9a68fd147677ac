// A store's cost grows with its size, not with its square: the CPU time of reading, adding to
// and removing from a store of 4n profiles against n, in this process (the least of three runs,
// so a busy machine's noise falls on both sizes). Linear is 4x; n² was 16x (yaml's uniqueKeys
// compared each key with every earlier one; the splice found each line by a scan from the top).
import { editStoreBytes } from '../../../src/store/edit-text.js';
import { parseStoreText } from '../../../src/store/load.js';
import { parseStore } from '../../../src/store/profiles.js';
import { quickStore } from '../../../src/store/quick-yaml.js';
import { spliceYaml } from '../../../src/store/edit-splice.js';

/** A store of n profiles; `quoted`: hosts in quotes, a shape only yaml's full parser reads. */
function store(n: number, quoted: boolean): Buffer {
  let text = '# team\nprofiles:\n';
  for (let i = 0; i < n; i++) {
    const host = `198.18.${(i >> 8) & 255}.${i & 255}`;
    text += `  p${i}:\n    host: ${quoted ? `"${host}"` : host}\n    open: [${7000 + (i % 100)}, 8000:udp, 9000]\n    port: 22\n`;
  }
  return Buffer.from(text);
}

function cpuMs(work: () => void): number {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

function cycle(file: string, bytes: Buffer): void {
  parseStore(parseStoreText(file, bytes.toString('utf8')), file);
  const added = editStoreBytes(file, bytes, { set: [['new-one', { host: '198.18.0.1', open: [1, 2, 3] }]] });
  editStoreBytes(file, added, { remove: ['new-one'] });
}

test('read, add, remove in a store of knock\'s own shape: 4x the profiles cost under 8x the CPU', () => {
  const file = '/h/.config/knock/config.yaml';
  const small = store(1500, false);
  const large = store(6000, false);
  expect(quickStore(small.toString())).toBeDefined();
  expect(quickStore(store(2, true).toString())).toBeUndefined();
  cycle(file, small); // warm up the JIT on the small size
  const ratio = cpuMs(() => cycle(file, large)) / cpuMs(() => cycle(file, small));
  expect(ratio).toBeLessThan(8);
});

test('the splice alone (outline, then cuts) at 4x the profiles costs under 8x the CPU', () => {
  const file = '/h/.config/knock/config.yaml';
  const small = store(2500, false).toString('latin1');
  const large = store(10000, false).toString('latin1');
  const splice = (text: string) => () => {
    expect(spliceYaml(file, text, { remove: ['p7'], set: [['p8', { host: '198.18.0.1', open: [1] }]] })).toBeDefined();
  };
  splice(small)();
  expect(cpuMs(splice(large)) / cpuMs(splice(small))).toBeLessThan(8);
});

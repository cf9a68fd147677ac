// The indexed evaluation against the plain walk it replaced (readconf.c's order, every line
// read), on seeded random trees; and the work of looking up every alias, counted in line reads,
// growing with the file, not with its square.
import { evaluateFor, matchPattern, type Evaluation } from '../../../src/ssh/evaluate.js';
import { SshConfig } from '../../../src/ssh/config.js';
import type { SshConfigFile, SshTreeLine } from '../../../src/ssh/include.js';
import { findProfile } from '../../../src/app/find-profile.js';
import { parseStore } from '../../../src/store/profiles.js';
import { seeded } from '../../helpers/fakes.js';

/** The walk evaluateFor did before it was indexed: every line of every file, in order. */
function reference(tree: SshConfigFile, alias: string): Evaluation {
  const result: Evaluation = { values: new Map(), definitions: [], undecided: [] };
  const hostMatches = (patterns: string[]) => {
    let matched = false;
    for (const p of patterns) {
      const negated = p.startsWith('!');
      if (new RegExp(`^${(negated ? p.slice(1) : p).replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(alias)) {
        if (negated) return false;
        matched = true;
      }
    }
    return matched;
  };
  const walk = (file: SshConfigFile, startActive: boolean, neverMatch: boolean) => {
    let active = startActive;
    for (const line of file.lines) {
      if (line.keyword === 'host') {
        active = !neverMatch && hostMatches(line.args);
        if (line.args.includes(alias) && !/[*?]/.test(alias)) result.definitions.push({ file: file.file, line: line.line, reachable: !neverMatch });
      } else if (line.keyword === 'match') {
        // Only `Match originalhost X` and `Match exec` in these trees.
        if (neverMatch) active = false;
        else if (line.args[0] === 'exec') {
          result.undecided.push({ file: file.file, line: line.line, criterion: line.args.join(' ') });
          active = false;
        } else active = line.args[1] === alias;
      } else if (line.keyword === 'include') {
        for (const child of line.included ?? []) walk(child, active, neverMatch || !active);
      } else if (active && !result.values.has(line.keyword)) {
        result.values.set(line.keyword, { args: line.args, rest: line.rest, file: file.file, line: line.line });
      }
    }
  };
  walk(tree, true, false);
  return result;
}

const NAMES = ['a', 'b', 'c', 'door', 'd0or', 'x.corp'];
const PATTERNS = ['*', 'd*', '?', '*.corp', 'd?or', '!a', '!door', 'x*', '*o*r'];

function randomTree(random: () => number, name: string, depth: number): SshConfigFile {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const lines: SshTreeLine[] = [];
  const count = 1 + Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    const roll = random();
    const line = lines.length + 1;
    if (roll < 0.3) {
      const args = Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.5 ? pick(NAMES) : pick(PATTERNS)));
      lines.push({ line, keyword: 'host', args, rest: args.join(' ') });
    } else if (roll < 0.38) {
      const args = random() < 0.3 ? ['exec', 'true'] : ['originalhost', pick(NAMES)];
      lines.push({ line, keyword: 'match', args, rest: args.join(' ') });
    } else if (roll < 0.48 && depth < 3) {
      const included = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, k) => randomTree(random, `${name}.${line}.${k}`, depth + 1));
      lines.push({ line, keyword: 'include', args: ['x'], rest: 'x', included });
    } else {
      const keyword = pick(['hostname', 'port', 'user', 'proxyjump']);
      lines.push({ line, keyword, args: [`${keyword}-${name}-${line}`], rest: `${keyword}-${name}-${line}` });
    }
  }
  return { file: name, lines };
}

test('indexed evaluation equals the plain walk on 400 seeded trees, for every name', () => {
  const random = seeded(22);
  for (let t = 0; t < 400; t++) {
    const tree = randomTree(random, `f${t}`, 0);
    for (const alias of [...NAMES, 'other']) {
      expect({ t, alias, ...evaluateFor(tree, alias, { localUser: 'me' }) }).toEqual({ t, alias, ...reference(tree, alias) });
    }
  }
});

test('match_pattern: stars and ? as ssh reads them; many stars cost no backtracking blow-up', () => {
  expect(matchPattern('door', 'd*r')).toBe(true);
  expect(matchPattern('door', 'd?r')).toBe(false);
  expect(matchPattern('door', '*')).toBe(true);
  expect(matchPattern('', '*')).toBe(true);
  expect(matchPattern('', '?')).toBe(false);
  expect(matchPattern('a.b.corp', '*.corp')).toBe(true);
  expect(matchPattern('abcabd', '*ab?')).toBe(true);
  expect(matchPattern('ab', 'a**b*')).toBe(true);
  expect(matchPattern('a\nb', 'a*b')).toBe(true);
  expect(matchPattern('a'.repeat(5000), `${'*a'.repeat(40)}b`)).toBe(false);
});

/** n Host blocks of literal names, each line counting the reads of its keyword and arguments. */
function countedTree(n: number, reads: { count: number }): SshConfigFile {
  const lines: SshTreeLine[] = [];
  const add = (keyword: string, args: string[]) => {
    const line = { line: lines.length + 1, rest: args.join(' ') } as SshTreeLine;
    Object.defineProperty(line, 'keyword', { get: () => (reads.count++, keyword), enumerable: true });
    Object.defineProperty(line, 'args', { get: () => (reads.count++, args), enumerable: true });
    lines.push(line);
  };
  for (let i = 0; i < n; i++) {
    add('host', [`h${i}`]);
    add('hostname', [`198.18.${i >> 8}.${i & 255}`]);
    add('port', ['22']);
  }
  add('host', ['*.corp']);
  add('user', ['me']);
  add('match', ['originalhost', 'x']);
  add('port', ['2222']);
  return { file: 'config', lines };
}

/** Line reads to look for an unknown target among n aliases that are all profile names, then list them. */
async function work(n: number): Promise<number> {
  const reads = { count: 0 };
  const ssh = new SshConfig('config', { homedir: '/h', uid: 1000, localUser: 'me', tree: countedTree(n, reads) });
  const profiles = Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, { open: [1] }]));
  const store = parseStore({ profiles }, '/h/store.yaml');
  expect(await findProfile(store, 'unknown-target', ssh)).toBeUndefined();
  for (let i = 0; i < n; i++) expect((await ssh.lookup(`h${i}`))?.port).toBe(22);
  return reads.count;
}

test('an unknown target and every lookup cost line reads in proportion to the file (4x the blocks: about 4x the reads, not 16x)', async () => {
  const small = await work(500);
  const large = await work(2000);
  // Linear work is 4x here; the walk over every block for every alias was 16x.
  expect(large / small).toBeLessThan(5);
  expect(large / small).toBeGreaterThan(3);
});

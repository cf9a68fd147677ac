// The fast path reads a line exactly as yargs does, or leaves it to yargs: seeded lines of the
// plain shapes and of everything around them, through both parsers, compared by what the
// handler and the Context read.
import { fastLine } from '../../../src/cli/fast-path.js';
import { parseLine } from '../../../src/cli/parser.js';
import { fakeIo, seeded } from '../../helpers/fakes.js';

/** The keys a fast line may set: the handler's and the Context's. */
const KNOCK_KEYS = ['_', 'target', 'knocks', 'dryRun', 'udp', 'delay', 'ttl', 'source', 'wait', 'waitTimeout'];
const PROXY_KEYS = ['_', 'host', 'port', 'connectTimeout'];
const GLOBAL_KEYS = ['config', 'json', 'quiet', 'verbose', '4', '6'];
/** yargs' other spellings of those keys, and its $0: any key beyond these is an option the fast path does not know. */
const SPELLINGS = ['$0', 'dry-run', 'n', 'u', 'd', 'wait-timeout', 'connect-timeout', 'q', 'v', 'ipv4', 'ipv6'];

const io = fakeIo();
afterAll(() => io.cleanup());

/** What yargs hands the handler, projected on the keys the fast path sets; a usage error as its message. */
async function viaYargs(argv: string[]): Promise<{ args?: Record<string, unknown>; extra?: string[]; error?: string; none?: true }> {
  let parsed;
  try {
    parsed = await parseLine([...argv], io, {});
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (!parsed.chosen) return { none: true };
  const all = parsed.chosen.args as Record<string, unknown>;
  const keys = [...(Array.isArray(all['_']) && all['_'][0] === 'proxy' ? PROXY_KEYS : KNOCK_KEYS), ...GLOBAL_KEYS];
  const extra = Object.keys(all).filter((k) => !keys.includes(k) && !SPELLINGS.includes(k));
  return { args: project(all, keys), extra };
}

function project(args: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
}

const TARGETS = ['door', 'lo', '127.0.0.1', '::1', 'h.example', 'false', 'true', '0', '08', '7000', '8000:udp', 'icmp:64', '7000,8000', '', 'a=b', '@group', 'x y'];
const SWITCHES = ['-n', '--dry-run', '-q', '--quiet', '-v', '--verbose', '--json', '-4', '--ipv4', '-6', '--ipv6', '-u', '--udp'];
const VALUED = ['--config', '-d', '--delay', '--ttl', '--source', '--connect-timeout', '--wait', '--wait-timeout'];
const VALUES = ['50', '0', 'abc', '-1', '1.5', '300', '64', 'eth0', 'true', 'false', '', 'store.yaml', '-n', '07'];
/** Words the fast path must leave to yargs. */
const OTHERS = ['--', '-h', '--help', '-V', '--version', '-nv', '-qn', '--json=true', '--dry-run=false', '--no-json', '-d50', '-5', 'list', 'open', 'close', 'proxy', '--bogus', '-x', '-', '--get-yargs-completions'];

function line(random: () => number): string[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const words: string[] = random() < 0.3 ? ['proxy'] : [];
  const length = Math.floor(random() * 6);
  for (let i = 0; i < length; i++) {
    const r = random();
    if (r < 0.4) words.push(pick(TARGETS));
    else if (r < 0.7) words.push(pick(SWITCHES));
    else if (r < 0.9) words.push(pick(VALUED), pick(VALUES));
    else words.push(pick(OTHERS));
  }
  return words;
}

const random = seeded(18);
const lines: string[][] = [
  ['door'],
  ['-n', 'door'],
  ['--dry-run', 'door'],
  ['-q', '-4', 'door'],
  ['--config', 'store.yaml', 'door'],
  ['127.0.0.1', '7000', '8000:udp', 'icmp:64'],
  ['-d', '50', '-u', 'h.example', '7000'],
  ['--ttl', '64', '--source', 'eth0', 'door'],
  // Issue 22, class 3: a switch never takes the next word; this is the dry run of the target `false`.
  ['-n', 'false', 'door'],
  ['door', '-v', 'true'],
  // Two switches before the word: both let it be (yargs' path moved only the last one).
  ['-u', '--json', 'true', '0'],
  ['proxy', 'door', '22'],
  ['proxy', '-4', 'door', '22'],
  ['proxy', '--connect-timeout', '5', 'door', '22'],
  ...Array.from({ length: 1500 }, () => line(random)),
];

test('the plain shapes take the fast path', () => {
  for (const words of lines.slice(0, 14)) expect([words, fastLine(words) !== undefined]).toEqual([words, true]);
  expect(fastLine(['-n', 'false', 'door'])?.args).toMatchObject({ target: 'false', knocks: ['door'], dryRun: true });
});

test('every line the fast path takes, yargs reads the same; the rest is left to yargs', async () => {
  let taken = 0;
  for (const words of lines) {
    const fast = fastLine(words);
    if (!fast) continue;
    taken++;
    const yargs = await viaYargs(words);
    const keys = [...(words[0] === 'proxy' ? PROXY_KEYS : KNOCK_KEYS), ...GLOBAL_KEYS];
    expect({ words, ...yargs }).toEqual({ words, args: project(fast.args, keys), extra: [] });
    // The same command: the proxy's own word in `_`, else the default command.
    expect(fast.entry.command).toBe(words[0] === 'proxy' ? 'proxy <host> <port>' : '$0 [target] [knocks..]');
  }
  // The check can fail: a good share of the seeded lines are plain.
  expect(taken).toBeGreaterThan(300);
  expect(taken).toBeLessThan(lines.length - 300);
}, 120000);

test.each(OTHERS.filter((w) => w !== 'proxy').map((w) => [w]))('a line with %j is left to yargs', (word) => {
  expect(fastLine(['-n', word, 'door'])).toBeUndefined();
  expect(fastLine(['proxy', word, 'door', '22'])).toBeUndefined();
});

test('values that yargs would refuse, or take apart, are left to it', () => {
  for (const words of [['-d', 'abc', 'door'], ['--ttl', '0', 'door'], ['--config'], ['--config', '-n', 'door'], ['--config', 'a', '--config', 'b', 'door'], ['--wait', '22', 'door'], []]) {
    expect([words, fastLine(words)]).toEqual([words, undefined]);
  }
  for (const words of [['proxy', 'door'], ['proxy', 'door', '22', '23'], ['proxy', '-n', 'door', '22'], ['proxy', '-d', '5', 'door', '22']]) {
    expect([words, fastLine(words)]).toEqual([words, undefined]);
  }
});

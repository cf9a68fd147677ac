// The command-line fuzz: argv vectors from a grammar of knock's real commands and flags (read
// from the option tables, so a new flag is fuzzed the day it exists), with hostile values,
// run by the built bin/knock in a hostile environment (HOME unset or a file, a deleted working
// directory, stdout or stderr on /dev/full or closed, a store of YAML anchors, cycles, BOMs and
// documents, FIFOs, directories and links where files belong). Every case runs in a network
// namespace of its own that has only a loopback interface, so whatever knock sends goes nowhere.
// A case is pure data made from (seed, index): KNOCK_FUZZ_ONLY=INDEX replays one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { commands, loadCommands } from '../../src/commands/index.js';
import { commandNames } from '../../src/commands/command.js';
import { globalParser } from '../../src/cli/parser.js';
import { flagsByCommand, optionTable } from '../../src/cli/argv.js';
import { COMPLETION_FLAG } from '../../src/cli/completion.js';
import { seeded } from './fakes.js';
import { KNOCK_BIN, publicKnockBin } from './run-knock.js';

export interface Grammar {
  /** Each command word with the flags it accepts and its positionals ('' is the default command). */
  commands: { word: string; flags: string[]; positionals: { name: string; variadic: boolean; optional: boolean }[] }[];
  takesValue: Set<string>;
  /** The values a flag declares with `choices`, by flag as typed. */
  choices: Map<string, string[]>;
}

/** knock's commands and flags as its own tables declare them. */
export async function readGrammar(): Promise<Grammar> {
  const all = await loadCommands();
  const table = optionTable(all, globalParser());
  const byCommand = flagsByCommand(all, globalParser());
  const choices = new Map<string, string[]>();
  for (const command of all) {
    if (!command.builder) continue;
    const options = (command.builder(yargs() as never) as unknown as { getOptions(): { choices: Record<string, unknown[]> } }).getOptions();
    for (const [name, list] of Object.entries(options.choices)) choices.set(`${name.length === 1 ? '-' : '--'}${name}`, list.map(String));
  }
  const entries = commands.flatMap((c) => {
    // `add <name> <host> <knocks..>`, `lint [name]`: the positionals as declared.
    const positionals = [...[c.command].flat()[0]!.matchAll(/([<[])([\w-]+)(\.\.)?[>\]]/g)].map((m) => ({ name: m[2]!, variadic: m[3] !== undefined, optional: m[1] === '[' }));
    return (commandNames(c).length > 0 ? commandNames(c) : ['']).map((word) => ({ word, flags: [...new Set(byCommand.get(word) ?? [])], positionals }));
  });
  return { commands: entries, takesValue: table.takesValue, choices };
}

type Stream = 'pipe' | 'full' | 'closed';
type FileKind = 'regular' | 'fifo' | 'dir' | 'dev-zero' | 'dangling' | 'loop' | 'missing';

/** One case as data: what to plant in a fresh home, the environment, and the words. */
export interface Case {
  index: number;
  argv: string[];
  /** Environment changes: a value, or null for unset. Paths may hold @HOME@. */
  env: Record<string, string | null>;
  cwd: 'home' | 'deleted' | 'root';
  stdout: Stream;
  stderr: Stream;
  stdin: 'pipe' | 'null' | 'closed';
  /** Run as a uid with no passwd entry (root only). */
  noPasswd: boolean;
  /** Files in the home, by relative path: text for a regular file, else a kind. */
  files: Record<string, string | { kind: FileKind }>;
  /** Built to be a usage error (an unknown option, no --help): must exit 2. */
  usage: boolean;
}

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** It was serving (knock serve said it listens) and was stopped with SIGTERM. */
  stopped: boolean;
}

/** A hang is a child still running after this: generous for a loaded 2-CPU machine, not a measurement. */
export const HANG_MS = 60_000;

/** The paths planted in every home that values may name: each a file of another kind. */
const PLANTED: Record<string, FileKind> = { fifo: 'fifo', dir: 'dir', zero: 'dev-zero', dangling: 'dangling', loop: 'loop' };
const FILE_WORDS = ['@HOME@/fifo', '@HOME@/dir', '@HOME@/zero', '@HOME@/dangling', '@HOME@/loop', '@HOME@/missing.yaml', '@HOME@/s.yaml', '@HOME@/.ssh/config', '/dev/null', '/dev/full', '/dev/zero', '/', '.', '', '~/x', 'relative.yaml'];

const HOSTILE = [
  '', ' ', '0', '-0', '-1', '1e300', '-1e300', '1e-300', 'NaN', 'Infinity', '0x10', '1.5', '08', '65535', '65536', '4294967296', '99999999999',
  '9'.repeat(400), 'x'.repeat(100_000), 'true', 'false', 'null', '-x', '-', '--', '---', '--x', '-=', '=', '==', ',', ':', '::', '@', '@team',
  '%h', '%n', '$(id)', '`id`', '~', '../..', '\u0661\u0662', '\uff17', 'caf\u00e9', '\u202eevil', '\u{1f511}', '\ud800', '\x1b[2J', '\x7f', 'a\nb', '\t', '\r',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty',
];
const HOSTS = ['127.0.0.1', '::1', 'localhost', '[::1]', '198.18.0.1', '2001:db8::1', 'fe80::1%lo', 'fe80::1%kfz0', '::ffff:127.0.0.1', '0.0.0.0', '224.0.0.1', 'a.invalid', 'p', '127.0.0.1 x'];
/** The most one case's words may hold: under the kernel's bound on a command line. */
const MAX_ARGV_CHARS = 1_000_000;
const KNOCKS = ['7001', '7002:udp', '7003:tcp', 'icmp:64', '0', '65536', '7000:sctp', 'icmp:70000', '7001,7002', '7001:udp:udp', '-7001', '1-2'];
/** Values of the flags that set a time: hostile ones and short valid ones, never a valid long one (a real wait is no hang). */
const TIMES = ['0', '1', '10', '0.5', '', '-1', '1e300', 'NaN', 'Infinity', '3600001', '99999999999', '2147483648', 'abc', '1e3x', '0x10', '\uff11'];
const TIME_FLAGS = new Set(['-d', '--delay', '--wait-timeout', '--connect-timeout', '--seq-timeout', '--open-for']);
const HELP_OR_VERSION = /^(-h|--help|-V|--version)(=|$)|^-[^-]*[hV]/;

/** A small value language per flag: a fitting value most of the time, a hostile one often. */
function valueFor(flag: string, g: Grammar, r: Rand): string {
  if (TIME_FLAGS.has(flag)) return r.pick(TIMES);
  const choices = g.choices.get(flag);
  if (choices && r.chance(0.5)) return r.pick(choices);
  if (!r.tame && r.chance(0.25)) return r.pick(HOSTILE);
  switch (flag) {
    case '--config':
    case '--knockd-conf':
    case '--file':
    case '--one-time-dir':
      return r.pick(FILE_WORDS);
    case '--host':
    case '--source':
    case '--bind':
    case '--target':
      return r.pick(HOSTS);
    case '--ttl':
      return r.pick(['1', '64', '255', '0', '256']);
    case '--knocks':
    case '--close':
    case '--port':
    case '-p':
    case '--wait':
      return r.pick(KNOCKS);
    default:
      return r.pick([...HOSTILE.slice(0, 12), 'p', 'office', 'team', 'x']);
  }
}

/** A word for a declared positional, by its name; sometimes any word at all. */
function positionalFor(name: string, r: Rand, g: Grammar): string {
  if (!r.tame && r.chance(0.2)) return positional(r, g);
  switch (name) {
    case 'target':
    case 'name':
    case 'profile':
    case 'profiles':
      if (r.tame) return r.pick(['p', 'office']);
      return r.pick(['p', 'p', 'office', 'ot', 'spa', 'a', 'b', 'c', 'z', 't', 'n', '__proto__', '@team', '@loop', 'missing', '127.0.0.1', '::1', 'localhost']);
    case 'host':
      return r.pick(HOSTS);
    case 'knocks':
      return r.pick(KNOCKS);
    case 'port':
      return r.pick(['22', '7001', '0', '65536', 'ssh', '']);
    case 'file':
      return r.pick([...FILE_WORDS, '@HOME@/knockd.conf', '@HOME@/ot.txt']);
    case 'shell':
      return r.pick(['bash', 'zsh', 'fish', 'sh']);
    case 'action':
      return r.pick(['add', 'remove', 'rm']);
    case 'group':
      return r.pick(['team', 'loop', 'new', '@team', '']);
    default:
      return positional(r, g);
  }
}

function positional(r: Rand, g: Grammar): string {
  return r.pick([
    () => r.pick(['p', 'office', 'ot', 'spa', 'team', '@team', '@none', 'missing', 'add', 'remove']),
    () => r.pick(HOSTS),
    () => r.pick(KNOCKS),
    () => r.pick(HOSTILE),
    () => r.pick(FILE_WORDS),
    () => r.pick(g.commands.map((c) => c.word).filter(Boolean)),
    () => r.pick(['bash', 'zsh', 'fish', 'iptables', 'nftables', 'knockd', 'puppet', 'fwknopd']),
  ])();
}

/** One flag as a user might type it: `--f v`, `--f=v`, `-fv`, `--no-f`, or letters run together. */
function flagWords(flag: string, g: Grammar, r: Rand): string[] {
  const takes = g.takesValue.has(flag);
  if (!takes) {
    if (r.tame) return [flag];
    if (flag.startsWith('--') && r.chance(0.1)) return [`--no-${flag.slice(2)}`];
    if (r.chance(0.05)) return [`${flag}=${r.pick(['true', 'false', '', 'x'])}`];
    if (r.chance(0.05)) return [flag, r.pick(['true', 'false'])];
    return [flag];
  }
  if (!r.tame && r.chance(0.05)) return [flag]; // no value: it may be the last word
  const value = valueFor(flag, g, r);
  if (flag.startsWith('--') && r.chance(0.25)) return [`${flag}=${value}`];
  if (!flag.startsWith('--') && r.chance(0.25)) return [`${flag}${value}`];
  return [flag, value];
}

export interface Rand {
  /** A tame case: fitting words in a sane environment, so that commands get past their checks (serve listens, knocks leave). */
  tame: boolean;
  next(): number;
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(list: readonly T[]): T;
}

function rand(seed: number): Rand {
  const next = seeded(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { tame: false, next, int, chance: (p) => next() < p, pick: (list) => list[int(list.length)]! };
}

const STORE_PARTS = {
  good: '  p:\n    host: 127.0.0.1\n    open: [7001, "7002:udp"]\n    close: [7003]\n  office:\n    host: localhost\n    port: 2222\n    delay: 10\n    open: ["7101:udp", "icmp:64"]\n',
  oneTime: '  ot:\n    host: 127.0.0.1\n    one_time_sequences: @HOME@/@OT@\n',
  spa: '  spa:\n    host: 127.0.0.1\n    spa:\n      key_base64: AAAAAAAAAAAAAAAAAAAAAA==\n      hmac_key_base64: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n',
  anchors: '  a: &base\n    host: 127.0.0.1\n    open: &o [7001, 7002]\n  b:\n    <<: *base\n    open: *o\n',
  cycle: '  c:\n    host: 127.0.0.1\n    open: &s [1, *s]\n',
  selfProfile: '  d: &d\n    host: 127.0.0.1\n    open: [1]\n    me: *d\n',
  proto: '  __proto__:\n    host: 127.0.0.1\n    open: [7001]\n  constructor:\n    host: 127.0.0.1\n    open: [7001]\n',
  absurd: '  z:\n    host: 127.0.0.1\n    open: [1e300, -1, .inf, .nan, "7001:udp:udp", [1], {a: 1}, null]\n    delay: 1e300\n    seq_timeout: -1\n    open_for: 1e300\n    ttl: 0\n    port: 99999999999\n',
  types: '  t:\n    host: [127.0.0.1]\n    open: 7001\n    close: "7002"\n    description: !!binary aGVsbG8=\n    family: 5\n',
  nul: '  n:\n    host: "127.0.0.1\\0x"\n    open: [7001]\n',
};

const GROUPS = 'groups:\n  team: [p, office, missing, "@team"]\n  loop: ["@loop"]\n';

/** A store's text: good profiles with hostile shapes mixed in, then framed in a hostile way. */
function storeText(r: Rand, otName: string): string {
  const parts = Object.entries(STORE_PARTS)
    .filter(([name]) => name === 'good' || (!r.tame && r.chance(0.3)))
    .map(([, text]) => text.replace('@OT@', otName));
  let text = `profiles:\n${parts.join('')}${r.chance(0.5) ? GROUPS : ''}`;
  const frame = r.tame ? 'none' : r.pick(['none', 'none', 'none', 'bom', 'documents', 'crlf', 'tabs', 'invalid-utf8', 'deep', 'duplicate', 'truncate', 'scalar', 'empty', 'long-line', 'alias-bomb']);
  switch (frame) {
    case 'bom':
      return `\ufeff${text}`;
    case 'documents':
      return `${text}---\nprofiles:\n  q:\n    host: 127.0.0.1\n    open: [1]\n...\n---\n`;
    case 'crlf':
      return text.replace(/\n/g, '\r\n');
    case 'tabs':
      return text.replace(/^ {4}/m, '\t');
    case 'invalid-utf8':
      return `# caf\u00e9\n${text}\u0000`;
    case 'deep':
      return `${text}  deep:\n    host: 127.0.0.1\n    open: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    case 'duplicate':
      return `${text}${text.replace('profiles:\n', '')}`;
    case 'truncate':
      return text.slice(0, r.int(text.length));
    case 'scalar':
      return r.pick(['hello\n', '~\n', '[]\n', 'profiles: []\n', 'profiles:\n  p: null\n', 'profiles: !!str x\n', '- a\n']);
    case 'empty':
      return '';
    case 'long-line':
      return `${text}# ${'y'.repeat(900_000)}\n`;
    case 'alias-bomb':
      return `x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nw: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nv: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n${text}`;
    default:
      return text;
  }
}

const SSH_CONFIGS = [
  'Host p office\n  HostName 127.0.0.1\n  Port 2222\n',
  'Include ~/.ssh/inc\nHost *\n  HostName %h\n',
  'Host a\n  Match exec "touch @HOME@/pwned"\n',
  `Host x\n  HostName ${'h'.repeat(5000)}\n`,
  '\ufeffHost p\r\n  Port 0\r\n',
  'Host\n',
];

/** The case at this index of this seed: the same words and files on every machine. */
export function makeCase(g: Grammar, seed: number, index: number): Case {
  const r = rand((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  r.tame = r.chance(0.25);
  // The hostile draws of a tame case: never.
  const chance = (p: number) => !r.tame && r.chance(p);
  const files: Case['files'] = {};
  for (const [name, kind] of Object.entries(PLANTED)) files[name] = { kind };
  files['s.yaml'] = `profiles:\n${STORE_PARTS.good}`;
  const fileKind = (): string | { kind: FileKind } =>
    !chance(0.4) ? '' : { kind: r.pick<FileKind>(['fifo', 'dir', 'dev-zero', 'dangling', 'loop', 'missing']) };

  // The default store, and the files it and ~/.ssh/config may name.
  const storeKind = fileKind();
  files['.config/knock/config.yaml'] = storeKind === '' ? storeText(r, 'ot.txt') : storeKind;
  const otKind = fileKind();
  files['ot.txt'] = otKind === '' ? r.pick([' 7301,7302\n 7303,7304\n', '\u00a09001,9002:udp\n', '\u00a0\n', '7301,,7302\n', ' 7301,\n', '']) : otKind;
  if (chance(0.5)) files['ot.txt.lock'] = { kind: r.pick<FileKind>(['fifo', 'dir', 'dev-zero', 'dangling']) };
  if (chance(0.2)) files['.config/knock/config.yaml.edit-lock'] = { kind: r.pick<FileKind>(['fifo', 'dir', 'dev-zero', 'regular']) };
  const sshKind = r.chance(0.5) ? '' : fileKind();
  if (sshKind !== '') files['.ssh/config'] = sshKind;
  else if (r.chance(0.7)) files['.ssh/config'] = r.pick(SSH_CONFIGS);
  if (r.chance(0.3)) files['.ssh/inc'] = fileKind() || 'Host p\n  Port 22\n';
  if (r.chance(0.3)) files['knockd.conf'] = '[options]\n\tlogfile = /dev/null\n[openSSH]\n\tsequence = 7001,,7002\n\tone_time_sequences = @HOME@/fifo\n\tseq_timeout = 1e300\n';

  // The words: a command (or none), then options and positionals in any order, maybe `--` and more.
  const command = r.chance(0.3) ? g.commands.find((c) => c.word === '')! : r.pick(g.commands);
  const words: string[] = [];
  const ownFlags = command.flags;
  const allFlags = [...new Set(g.commands.flatMap((c) => c.flags))];
  // The positionals as declared (a variadic one 1-4 times, an optional one half the time), at times one short or one more.
  for (const p of command.positionals) {
    if (p.optional && !r.tame && r.chance(0.5)) continue;
    const times = p.variadic ? 1 + r.int(4) : 1;
    for (let i = 0; i < times; i++) words.push(positionalFor(p.name, r, g));
  }
  if (chance(0.1)) words.pop();
  if (chance(0.1)) words.push(positional(r, g));
  // Options among them, in any order.
  const count = chance(0.03) ? 200 + r.int(800) : r.int(4);
  for (let i = 0; i < count; i++) {
    const mine = r.tame || r.chance(0.9) ? ownFlags.filter((f) => !HELP_OR_VERSION.test(f)) : ownFlags;
    const flag = flagWords(r.chance(0.85) ? r.pick(mine) : r.pick(allFlags), g, r);
    words.splice(r.int(words.length + 1), 0, ...flag);
  }
  // A flag given twice, the second time differently (`--config A --config B`).
  if (chance(0.15)) {
    const flag = r.pick(ownFlags);
    words.push(...flagWords(flag, g, r), ...flagWords(flag, g, r));
  }
  // Short switches run together: -qvn.
  if (chance(0.1)) words.push(`-${r.pick(['qv', 'vn', 'n4', '46', 'qvn', 'nh', 'vd', 'nd5'])}`);
  if (ownFlags.includes('-n') && r.chance(0.5)) words.splice(r.int(words.length + 1), 0, r.pick(['-n', '--dry-run']));
  if (command.word !== '') words.splice(r.chance(0.85) ? 0 : r.int(words.length + 1), 0, command.word);
  const usage = chance(0.12);
  if (usage) words.splice(r.int(words.length + 1), 0, r.pick(['--kfz-bogus', '--kfz-bogus=1', '-K']));
  if (chance(0.15)) words.push('--', ...Array.from({ length: r.int(4) }, () => positional(r, g)));
  if (chance(0.03)) words.unshift(COMPLETION_FLAG);
  // One huge word is hostile; a thousand of them are more than exec() takes.
  let total = 0;
  for (let i = 0; i < words.length; i++) {
    total += words[i]!.length + 1;
    if (total > MAX_ARGV_CHARS) words[i] = 'x';
  }

  const env: Record<string, string | null> = {};
  const home = r.tame ? '@HOME@' : r.pick(['@HOME@', '@HOME@', '@HOME@', '@HOME@', null, '', '@HOME@/missing', '@HOME@/s.yaml', 'relative']);
  env.HOME = home;
  if (chance(0.2)) env.XDG_CONFIG_HOME = r.pick([null, '', 'relative', '@HOME@/fifo', '@HOME@/missing']);
  if (chance(0.2)) env.XDG_RUNTIME_DIR = r.pick([null, '', '@HOME@/s.yaml', '@HOME@/fifo', '@HOME@/missing', '@HOME@/zero']);
  if (chance(0.1)) env.TMPDIR = r.pick(['', '@HOME@/missing', '@HOME@/fifo']);
  if (chance(0.15)) env.KNOCK_CONFIG = r.pick(FILE_WORDS);
  if (chance(0.05)) env.SHELL = r.pick(['zsh', 'fish', '']);
  if (chance(0.05)) env.TERM = 'dumb';
  if (chance(0.05)) env.COLUMNS = r.pick(['0', '-1', '1e300', '1']);

  // A relative HOME in a deleted directory: node's own start-up (Module._initPaths resolves
  // $HOME/.node_modules) throws before any of knock runs; nothing knock can answer.
  const cwd = chance(0.15) && home !== 'relative' ? 'deleted' : chance(0.1) ? 'root' : 'home';
  const stream = (): Stream => (!chance(0.2) ? 'pipe' : r.pick<Stream>(['full', 'closed']));
  // With --help or --version a bogus option may be shown help for rather than refused.
  const bogusAt = words.findIndex((w) => w.startsWith('--kfz-bogus') || w === '-K');
  const asksHelp = words.some((w) => HELP_OR_VERSION.test(w)) || words.includes(COMPLETION_FLAG);
  return {
    index,
    argv: words,
    env,
    cwd,
    stdout: stream(),
    stderr: stream(),
    stdin: !chance(0.1) ? 'pipe' : r.pick(['null', 'closed'] as const),
    noPasswd: process.getuid?.() === 0 && chance(0.05),
    files,
    // Before any `--`: after it the word is a knock, not an option.
    usage: usage && bogusAt >= 0 && !asksHelp && !words.slice(0, bogusAt).includes('--'),
  };
}

/** The home's files as the case says, with @HOME@ replaced. */
function plant(c: Case, dir: string): void {
  for (const [relative, spec] of Object.entries(c.files)) {
    const at = path.join(dir, relative);
    mkdirSync(path.dirname(at), { recursive: true });
    rmSync(at, { recursive: true, force: true });
    if (typeof spec === 'string') {
      writeFileSync(at, spec.replaceAll('@HOME@', dir), { mode: 0o600 });
      continue;
    }
    switch (spec.kind) {
      case 'regular':
        writeFileSync(at, '', { mode: 0o600 });
        break;
      case 'fifo':
        spawnSync('mkfifo', ['-m', '600', at]);
        break;
      case 'dir':
        mkdirSync(at, { mode: 0o700 });
        break;
      case 'dev-zero':
        symlinkSync('/dev/zero', at);
        break;
      case 'dangling':
        symlinkSync(path.join(dir, 'nowhere'), at);
        break;
      case 'loop':
        symlinkSync(at, at);
        break;
      case 'missing':
        break;
    }
  }
}

/**
 * The wrapper that runs inside the fresh network namespace: loopback up (the only interface),
 * the working directory (deleted: removed once entered), the streams as the case says, then knock.
 */
const WRAPPER = `
ip link set lo up || exit 97
cwd=$1 del=$2 out=$3 err=$4 in=$5; shift 5
cd "$cwd" || exit 98
if [ "$del" = 1 ]; then rmdir "$cwd" || exit 98; fi
case $in in null) exec </dev/null;; closed) exec <&-;; esac
case $out in full) exec >/dev/full;; closed) exec >&-;; esac
case $err in full) exec 2>/dev/full;; closed) exec 2>&-;; esac
exec "$@"
`;

/** How this machine gives each case a network namespace with loopback only, or why it cannot. */
export function sandbox(): { prefix: string[] } | { reason: string } {
  const prefix = process.getuid?.() === 0 ? ['unshare', '--net', '--'] : ['unshare', '--map-root-user', '--net', '--'];
  const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return probe.status === 0 ? { prefix } : { reason: `cannot make a network namespace here (${prefix.join(' ')}: ${probe.error?.message ?? `exit ${probe.status}`})` };
}

/** Runs one case in a fresh home; `streams` overrides the case's stdout/stderr (the twin run). */
export async function runCase(c: Case, prefix: string[], streams?: { stdout: Stream; stderr: Stream }): Promise<Outcome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-fuzz-'));
  try {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, 'run'), { recursive: true, mode: 0o700 });
    plant(c, home);
    const work = path.join(dir, 'cwd');
    mkdirSync(work);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NO_COLOR: '1', LANG: 'C.UTF-8', HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run') };
    for (const [key, value] of Object.entries(c.env)) {
      if (value === null) delete env[key];
      else env[key] = value.replaceAll('@HOME@', home);
    }
    const argv = c.argv.map((w) => w.replaceAll('@HOME@', home));
    const knock = c.noPasswd ? ['setpriv', '--reuid=54329', '--regid=54329', '--clear-groups', process.execPath, publicKnockBin()] : [process.execPath, KNOCK_BIN];
    const cwd = c.cwd === 'root' ? '/' : work;
    const { stdout, stderr } = streams ?? c;
    const args = [...prefix.slice(1), 'sh', '-c', WRAPPER, 'sh', cwd, c.cwd === 'deleted' ? '1' : '0', stdout, stderr, c.stdin, ...knock, ...argv];
    return await new Promise<Outcome>((resolve, reject) => {
      // Its own process group: a hang is killed with whatever it started.
      const child = spawn(prefix[0]!, args, { env, cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let out = '';
      let err = '';
      let stopped = false;
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        // knock serve runs until stopped: once it says it listens, stop it as a user would.
        if (!stopped && /listening on |"event":\s*"listening"/.test(out)) {
          stopped = true;
          kill('SIGTERM');
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      // With stdout closed (node makes it /dev/null) serve says nothing we can read: its sockets
      // in the namespace say it listens (a TCP listener, or UDP bound below the ephemeral range).
      const watch = c.argv.includes('serve')
        ? setInterval(() => {
            if (!stopped && listensIn(child.pid!)) {
              stopped = true;
              kill('SIGTERM');
            }
          }, 100)
        : undefined;
      const timer = setTimeout(() => kill('SIGKILL'), HANG_MS);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearInterval(watch);
        if (code === 97 || code === 98) reject(new Error(`the fuzz wrapper failed (${code}): ${err}`));
        else resolve({ code, signal, stdout: out, stderr: err, stopped });
      });
      child.stdin!.on('error', () => {});
      child.stdin!.end();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the process has a TCP listener, or a UDP socket on a port below the ephemeral range (a knock's own is above). */
function listensIn(pid: number): boolean {
  // Not before it is in its own namespace: the machine's own listeners are not knock's.
  try {
    if (readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync('/proc/self/ns/net')) return false;
  } catch {
    return false;
  }
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      return false;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const port = parseInt(local?.split(':')[1] ?? '', 16);
      if (table.startsWith('tcp') ? state === '0A' : port > 0 && port < 32768) return true;
    }
  }
  return false;
}

/** Lines knock writes to stderr that are not errors: warnings, and -v's line per knock. */
const NOT_AN_ERROR = /^knock: (warning|note): |^(knock|open|close) \d/;

/** What is wrong with an outcome, if anything: the invariants, nothing about how knock got there. */
export function problems(c: Case, o: Outcome, twin?: Outcome): string[] {
  const found: string[] = [];
  if (o.signal && !o.stopped) found.push(`did not end by itself within ${HANG_MS / 1000} s (killed, ${o.signal})`);
  if (o.stopped) {
    if (o.signal !== null && o.signal !== 'SIGTERM') found.push(`serve stopped with SIGTERM ended by ${o.signal}`);
  } else if (o.code !== null && ![0, 1, 2].includes(o.code)) found.push(`exit ${o.code}`);
  if (/internal error|\n\s+at |^\s+at .*:\d+:\d+\)?$/m.test(o.stderr)) found.push('a stack trace on stderr');
  if (c.stderr === 'pipe' && !o.stopped && o.code !== null && o.code !== 0) {
    const errors = o.stderr.split('\n').filter((l) => l !== '' && !NOT_AN_ERROR.test(l));
    // lint's findings are its results, on stdout, with exit 1 and nothing on stderr.
    const lintFindings = o.code === 1 && errors.length === 0 && c.argv.includes('lint');
    if (!lintFindings && (errors.length !== 1 || !/^knock: \S/.test(errors[0]!))) found.push(`${errors.length} error lines on stderr, not one 'knock: ...' line`);
  }
  if (c.usage && !o.stopped && o.code !== 2) found.push(`a usage error exited ${o.code}, not 2`);
  if (twin) {
    // The same case with both streams on pipes: stderr's fate never changes the code, stdout's
    // only to 1 (the output could not be written).
    const allowed = new Set([twin.code, ...(c.stdout !== 'pipe' && twin.code === 0 ? [1] : [])]);
    if (!o.stopped && !twin.stopped && !allowed.has(o.code)) found.push(`exit ${o.code} with stdout ${c.stdout}, stderr ${c.stderr}; ${twin.code} with both on pipes`);
  }
  return found;
}

/** A case as a reader can replay it. */
export function describeCase(c: Case): string {
  const cut = (w: string) => (w.length > 80 ? `${w.slice(0, 40)}...(${w.length} chars)` : w);
  const files = Object.entries(c.files)
    .filter(([name]) => !(name in PLANTED) && name !== 's.yaml')
    .map(([name, spec]) => `${name}=${typeof spec === 'string' ? JSON.stringify(cut(spec)) : spec.kind}`);
  return `#${c.index} argv=${JSON.stringify(c.argv.map(cut))} env=${JSON.stringify(c.env)} cwd=${c.cwd} stdout=${c.stdout} stderr=${c.stderr} stdin=${c.stdin}${c.noPasswd ? ' no-passwd' : ''} files: ${files.join(' ')}`;
}

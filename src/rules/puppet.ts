// The door as a Puppet manifest for puppetlabs-firewall 3.x (Debian 12's 3.4.0): one class per
// profile holding `firewallchain` and `firewall` resources that build the iptables output's state
// machine. The module allows one `recent` match per rule, so each stage the iptables output
// checks in one rule gets a chain of its own here (`knock-NAME-o1`, ...), entered only by a
// source fresh in that stage's list, and the module's ip6tables provider cannot write `goto`, so
// every chain is jumped to and returns.
import { createHash } from 'node:crypto';
import { ConfigError } from '../shared/errors.js';
import type { Knock, Protocol } from '../knock/tokens.js';
import { header, ID_MAX, type Door } from './door.js';
import { icmpLength, machineSteps, type Machine, type StageList, type Step, type Target } from './stages.js';

export type Family = 4 | 6;
export type ServiceProtocol = 'tcp' | 'udp';

export interface PuppetOptions {
  /** The families to guard, in order: both for a profile without `family`. */
  families: Family[];
  /** The service's protocol (the profile's `port: N/udp`); TCP when absent. */
  serviceProtocol?: ServiceProtocol;
}

/** What a manifest is made of: the class for one profile, and the names its header cites. */
export interface PuppetClass {
  door: Door;
  className: string;
  text: string;
  chains: string[];
  jumpTitles: string[];
}

/** iptables' chain name limit. */
const CHAIN_MAX = 28;
/** The module's `chain`, `jump` and `goto` values (type/firewall.rb). */
const CHAIN = /^[A-Za-z0-9_-]+$/;
/** The module's titles (type/firewall.rb), narrowed to printable ASCII without `"` and `\`, which the comment would carry. */
const TITLE = /^\d+ [\x20\x21\x23-\x5b\x5d-\x7e]+$/;
/** Puppet's class names (one segment): lower case, digits, `_`, starting with a letter. */
const CLASS_NAME = /^[a-z][a-z0-9_]*$/;
/** What the manifest's own quoted strings may hold: printable ASCII, nothing that ends or escapes them. */
const QUOTABLE = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;

/**
 * The class of a profile: `knock_` and the name with each character outside `[a-z0-9]` escaped
 * (`_` as `__`, `-` as `_0`, `.` as `_1`, an upper-case letter as `_` and the letter), so two
 * profile names never share a class (the code is prefix-free: `_` and one character).
 */
export function puppetClassName(profileName: string): string {
  let out = 'knock_';
  for (const c of profileName) {
    if (/[a-z0-9]/.test(c)) out += c;
    else if (c === '_') out += '__';
    else if (c === '-') out += '_0';
    else if (c === '.') out += '_1';
    else if (/[A-Z]/.test(c)) out += `_${c.toLowerCase()}`;
    else throw new ConfigError(`profile ${JSON.stringify(profileName)}: a name for a Puppet class may hold only letters, digits, '.', '_' and '-'; rename the profile`);
  }
  return checked(out, CLASS_NAME, 'class name');
}

/**
 * The stem of chain and list names: the door's id (door.ts: a short name as it is, anything
 * longer, or shaped like a shortened id, as its start and a hash). The module's chain names
 * allow no `.`, so a name with one is shortened too; every shortened id has the one shape
 * (ID_MAX - 7 characters, `-`, six hex digits), which no short name keeps as it is, so a name
 * cannot take another's chains.
 */
export function puppetId(door: Door): string {
  if (door.id === door.name && CHAIN.test(door.name)) return door.name;
  const hash = createHash('sha256').update(door.name).digest('hex').slice(0, 6);
  return `${door.name.slice(0, ID_MAX - 7).replace(/\./g, '_').padEnd(ID_MAX - 7, '_')}-${hash}`;
}

function checked(value: string, pattern: RegExp, what: string, max = Infinity): string {
  if (!pattern.test(value) || value.length > max) throw new ConfigError(`${JSON.stringify(value)} cannot be a Puppet ${what}`);
  return value;
}

/** A Puppet single-quoted string: only what needs no escape is let through; anything else is refused. */
export function quote(value: string): string {
  if (!QUOTABLE.test(value)) throw new ConfigError(`${JSON.stringify(value)} cannot be written into a Puppet manifest`);
  return `'${value}'`;
}

type Value = string | string[] | boolean | { variable: string };

interface Rule {
  chain: string;
  what: string;
  attrs: [string, Value][];
}

/** One family's resources: the chains, in order, and each chain's rules, in order. */
function familyResources(door: Door, family: Family, serviceProtocol: ServiceProtocol): { chains: string[]; rules: Rule[] } {
  const id = puppetId(door);
  // knock-ID-SUFFIX, each suffix free of `-` (as door.ts's chainNames()): profile x's chains
  // are never profile x-knock's, whose purge would otherwise empty them.
  const stem = `knock-${id}`;
  const chain = checked(`${stem}-in`, CHAIN, 'chain name', CHAIN_MAX);
  const knockChain = `${stem}-knock`;
  const openChain = `${stem}-open`;
  const closeChain = `${stem}-close`;
  const stageChain = (s: StageList) => checked(`${stem}-${s.machine === 'open' ? 'o' : 'c'}${s.stage}`, CHAIN, 'chain name', CHAIN_MAX);
  // xt_recent lists are shared by both families' rules in a namespace: keep them apart.
  const list = (name: string) => `${family === 6 ? 'knock6' : 'knock'}-${id}-${name}`;
  const opened = list('opened');
  const stageName = (s: StageList) => list(`${s.machine}${s.stage}`);
  // The module writes `--mask` on delete as iptables-save prints it; a rule inserted without it
  // is then not found (iptables-nft 1.8.9, IPv4), so the mask is set on insert too.
  const mask = family === 6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
  const recent = (how: 'set' | 'rcheck' | 'remove', name: string, seconds?: number): [string, Value][] => [
    ['recent', how],
    ['rname', name],
    ...(seconds !== undefined ? ([['rseconds', String(seconds)]] as [string, Value][]) : []),
    ['mask', mask],
  ];
  const echo = (): [string, Value][] => [
    ['proto', family === 6 ? 'ipv6-icmp' : 'icmp'],
    ['icmp', family === 6 ? '128' : '8'],
  ];
  const match = (knock: Knock): [string, Value][] =>
    knock.protocol === 'icmp'
      ? [...echo(), ['length', String(icmpLength(knock.size, family))]]
      : [
          ['proto', knock.protocol],
          ['dport', [String(knock.port)]],
        ];
  const into = (target: Target): [string, Value][] =>
    'stage' in target ? recent('set', stageName(target.stage)) : recent(target.opened === 'add' ? 'set' : 'remove', opened);
  const services: [string, Value] = ['dport', door.services.map(String)];
  const any: [string, Value] = ['proto', 'all'];

  const rules: Rule[] = [];
  const add = (c: string, what: string, ...attrs: [string, Value][]) => rules.push({ chain: c, what, attrs });

  add('INPUT', `to the door (${chain})`, any, ['jump', chain]);
  // Established connections to the service stay up, whatever happens to the door later.
  add(chain, 'established service connections stay up', ['proto', serviceProtocol], services, ['ctstate', ['ESTABLISHED', 'RELATED']], ['action', 'accept']);
  add(chain, 'other established traffic is no knock', any, ['ctstate', ['ESTABLISHED', 'RELATED']], ['jump', 'RETURN']);
  // New connections to the service: from an opened source only; to anyone else the port looks closed.
  add(
    chain,
    `new service connections from opened sources${door.openFor ? ` within ${door.openFor} s` : ''}`,
    ['proto', serviceProtocol],
    ...(serviceProtocol === 'tcp' ? ([['tcp_flags', 'FIN,SYN,RST,ACK SYN']] as [string, Value][]) : []),
    services,
    ['ctstate', ['NEW']],
    ...recent('rcheck', opened, door.openFor),
    ['action', 'accept'],
  );
  add(
    chain,
    'the service port looks closed to others',
    ['proto', serviceProtocol],
    services,
    ['action', 'reject'],
    ['reject', serviceProtocol === 'tcp' ? 'tcp-reset' : family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'],
  );
  // What looks like a knock (new SYN, new datagram, echo request) goes through the state machine.
  for (const p of door.protocols) {
    add(chain, `${shapeName(p)}: may be a knock`, ...shape(p, family, echo), ['jump', knockChain]);
  }
  if (door.close) add(knockChain, 'opened sources: the close sequence first', any, ...recent('rcheck', opened), ['jump', closeChain]);
  add(knockChain, 'the open sequence', any, ['jump', openChain]);

  const chains = [chain, knockChain, openChain];
  const taken = list('taken');
  const machine = (m: Machine, c: string, knocks: readonly Knock[]) => {
    // ip6tables' provider cannot write `goto` (3.4.0 leaves it out of ip6tables' rule), so every
    // chain here is jumped to and returns. A step taken returns from the machine: the close
    // machine back to the knock chain, which hands every packet on to the open machine, as the
    // iptables output does. A stage's chain marks the packet taken (a list of its own), so that
    // the machine chain returns once that chain has dealt with it.
    const steps = machineSteps(m, knocks);
    const start = steps.find((s): s is Extract<Step, { kind: 'start' }> => s.kind === 'start')!;
    const startRule = (at: string) => add(at, `the first knock starts the ${m} sequence`, ...match(start.knock), ...into(start.to), ['jump', 'RETURN']);
    const stages = [...new Set(steps.flatMap((s) => ('from' in s ? [s.from.stage] : 'at' in s ? [s.at.stage] : [])))];
    // The machine chain: a source fresh in a stage goes to that stage's chain; a stale one is
    // forgotten; a source in no stage may start.
    if (stages.length) add(c, 'no packet is taken yet', any, ...recent('remove', taken));
    for (const stage of stages) {
      const s: StageList = { machine: m, stage };
      add(c, `fresh in stage ${stage}: its chain`, any, ...recent('rcheck', stageName(s), door.seqTimeout), ['jump', stageChain(s)]);
      add(c, `taken in stage ${stage}: done`, any, ...recent('rcheck', taken), ['jump', 'RETURN']);
      add(c, `stale in stage ${stage}: forgotten`, any, ...recent('remove', stageName(s)));
    }
    startRule(c);
    // Each stage's chain, for a source fresh in it: the steps stages.ts gives that stage.
    for (const stage of [...stages].reverse()) chains.push(stageChain({ machine: m, stage }));
    for (const stage of stages) {
      const s: StageList = { machine: m, stage };
      const sc = stageChain(s);
      add(sc, 'this packet is taken here', any, ...recent('set', taken));
      for (const step of steps) {
        if (step.kind === 'advance' && step.from.stage === stage) {
          const next = 'stage' in step.to ? `stage ${step.to.stage.stage}` : m === 'open' ? 'opened' : 'closed';
          add(sc, `the next knock: ${next}`, ...match(step.knock), ...into(step.to));
          add(sc, `the next knock: out of stage ${stage}`, ...match(step.knock), ...recent('remove', stageName(s)), ['jump', 'RETURN']);
        } else if (step.kind === 'repeat' && step.at.stage === stage) {
          add(sc, `the last knock again keeps stage ${stage}`, ...match(step.knock), ['jump', 'RETURN']);
        } else if (step.kind === 'reset' && step.at.stage === stage) {
          add(sc, `anything else resets stage ${stage}`, any, ...recent('remove', stageName(s)));
        }
      }
      startRule(sc);
    }
  };
  if (door.close) {
    chains.push(closeChain);
    machine('close', closeChain, door.close);
  }
  machine('open', openChain, door.open);
  return { chains, rules };
}

function shapeName(protocol: Protocol): string {
  return protocol === 'icmp' ? 'an echo request' : protocol === 'tcp' ? 'a new TCP SYN' : 'a new UDP datagram';
}

function shape(protocol: Protocol, family: Family, echo: () => [string, Value][]): [string, Value][] {
  if (protocol === 'icmp') return echo();
  return protocol === 'tcp'
    ? [
        ['proto', 'tcp'],
        ['tcp_flags', 'FIN,SYN,RST,ACK SYN'],
        ['ctstate', ['NEW']],
      ]
    : [
        ['proto', 'udp'],
        ['ctstate', ['NEW']],
      ];
}

function render(value: Value): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(quote).join(', ')}]`;
  return `$${checked(value.variable, /^[a-z][a-z0-9_]*$/, 'variable name')}`;
}

function resource(type: string, title: string, attrs: [string, Value][]): string[] {
  const width = Math.max(...attrs.map(([k]) => k.length));
  return [`  ${type} { ${quote(title)}:`, ...attrs.map(([k, v]) => `    ${k.padEnd(width)} => ${render(v)},`), '  }'];
}

/** The class for one door: both families' resources (or the one the profile limits it to). */
export function puppetClass(door: Door, options: PuppetOptions): PuppetClass {
  const serviceProtocol = options.serviceProtocol ?? 'tcp';
  // doorOf refuses a TCP knock on a TCP service port; a UDP service cannot see a UDP knock on its port either.
  if (serviceProtocol === 'udp') {
    for (const [which, knocks] of [['open', door.open], ['close', door.close ?? []]] as const) {
      const i = knocks.findIndex((k) => k.protocol === 'udp' && door.services.includes(k.port));
      if (i >= 0) throw new ConfigError(`profile '${door.name}': ${which} knock ${i + 1} is on the UDP service port: the door could never see it as a knock`);
    }
  }
  const className = puppetClassName(door.name);
  const ensure: [string, Value] = ['ensure', { variable: 'ensure' }];
  const body: string[] = [];
  const chains: string[] = [];
  const jumpTitles: string[] = [];
  for (const family of options.families) {
    const { chains: familyChains, rules } = familyResources(door, family, serviceProtocol);
    const tag = family === 6 ? 'IPv6' : 'IPv4';
    const provider: [string, Value] = ['provider', family === 6 ? 'ip6tables' : 'iptables'];
    body.push('', `  # ${tag} (${family === 6 ? 'ip6tables' : 'iptables'})`);
    // purge: a rule in these chains that the class does not declare (left by an older manifest
    // of this profile) is removed; INPUT is the admin's and is not purged.
    for (const c of familyChains) body.push(...resource('firewallchain', `${c}:filter:${tag}`, [ensure, ['purge', true]]));
    // Titles: the module orders a chain's rules by title, as strings; three digits keep that the
    // rule order. They name the step, not the knock, so that a changed sequence of the same
    // length updates its rules in place. The jump from INPUT, `000 0 ...`, sorts ahead of rules titled `000 a...` or `001`.
    const counts = new Map<string, number>();
    for (const rule of rules) {
      const n = counts.get(rule.chain) ?? 0;
      counts.set(rule.chain, n + 1);
      if (n > 899) throw new ConfigError(`profile '${door.name}': too many rules for one chain of a Puppet manifest`);
      const number = rule.chain === 'INPUT' ? '000 0' : String(n).padStart(3, '0');
      const title = checked(`${number} ${rule.chain === 'INPUT' ? `knock-${puppetId(door)}` : rule.chain} (${tag}): ${rule.what}`, TITLE, 'title', 255);
      if (rule.chain === 'INPUT') jumpTitles.push(title);
      body.push(...resource('firewall', title, [ensure, provider, ['chain', checked(rule.chain, CHAIN, 'chain name', CHAIN_MAX)], ...rule.attrs]));
    }
    chains.push(...familyChains.map((c) => `${c}:filter:${tag}`));
  }
  const tag = quote(className);
  const text = [
    `class ${className} (`,
    "  Enum['present', 'absent'] $ensure = 'present',",
    ') {',
    '  # Chains before the rules that use them; removed, the rules go before their chains.',
    "  if $ensure == 'present' {",
    `    Firewallchain <| tag == ${tag} |> -> Firewall <| tag == ${tag} |>`,
    '  } else {',
    `    Firewall <| tag == ${tag} |> -> Firewallchain <| tag == ${tag} |>`,
    '  }',
    ...body,
    '}',
  ].join('\n');
  return { door, className, text, chains, jumpTitles };
}

function familiesLine(families: Family[]): string {
  return families.length === 2 ? 'IPv4 (iptables) and IPv6 (ip6tables)' : families[0] === 6 ? 'IPv6 only (ip6tables)' : 'IPv4 only (iptables)';
}

function classLines(c: PuppetClass, families: Family[]): string[] {
  const [first] = c.chains;
  return [
    `Class ${c.className}: ${familiesLine(families)}; ${c.chains.length / families.length} chains per family (${first?.replace(/:.*/, '')} and ${first?.replace(/:.*/, '')}-...)`,
    `and one jump from the top of INPUT, titled '${c.jumpTitles[0]}'${c.jumpTitles.length > 1 ? ' (and IPv6)' : ''}:`,
    "the module orders a chain's rules by title, as strings, and that sorts ahead of your rules.",
  ];
}

/**
 * header() names the service's protocol as TCP; a UDP service is said to be one here. (Once
 * door.ts names the protocol itself, this changes nothing.)
 */
function headerFor(door: Door, options: PuppetOptions, format: string, version: string, how: string[]): string[] {
  const lines = header(door, format, version, how);
  return options.serviceProtocol === 'udp' ? lines.map((l) => l.replace(/^# Guards TCP port/, '# Guards UDP port')) : lines;
}

const COMMON = [
  'You add nothing: the service port is answered here (new connections from opened sources only; a reset',
  '(TCP) or port-unreachable (UDP) to everyone else); knock packets go on to your own rules after this.',
  "The door's chains purge rules they do not declare (INPUT is not purged). A profile whose number of knocks",
  'changed: remove the old door first (below), or the chains of stages it no longer has stay behind.',
  'The module saves the tables with netfilter-persistent where iptables-persistent is installed, as for all its rules.',
];

/** `knock rules NAME --format puppet`: the class, declared at the end, for `puppet apply FILE`. */
export function puppetRules(door: Door, options: PuppetOptions, version: string): string {
  const c = puppetClass(door, options);
  const lines = [
    ...headerFor(door, options, 'Puppet manifest for puppetlabs-firewall 3.x', version, [
      ...classLines(c, options.families),
      'Load: puppet apply FILE (as root, on a host with the module: Debian 12 puppet-module-puppetlabs-firewall); a second apply changes nothing.',
      ...COMMON,
      `Remove: sed -i '$s/ensure => present/ensure => absent/' FILE && puppet apply FILE (the last line, set to absent, removes every`,
      'chain and rule this added and nothing else; then delete FILE). Fleets: knock rules @GROUP --format puppet gives classes to include.',
    ]),
    c.text,
    `class { ${quote(c.className)}: ensure => present }`,
    '',
  ];
  return lines.join('\n');
}

/** `knock rules @GROUP --format puppet`: one class per member, for a fleet's site manifest. */
export function puppetGroupRules(group: string, members: { door: Door; options: PuppetOptions }[], version: string): string {
  const classes = members.map((m) => puppetClass(m.door, m.options));
  const lines = [
    `# knock rules for group '@${checked(group, /^[A-Za-z0-9_.+-]+$/, 'group name')}': Puppet classes for puppetlabs-firewall 3.x, by knock ${version}`,
    `# One class per member; on each node, include the class of the profile that guards it (in its node block):`,
    ...classes.map((c) => `#   ${c.className}: profile '${c.door.name}'${c.door.host ? ` (host ${c.door.host})` : ''}`),
    "# Put this file with the nodes' manifests (say manifests/knock.pp of the environment, read with site.pp);",
    "# then, in each node's block: include knock_NAME. Each class has a header of its own: what it does and needs.",
    '# Remove: declare the class with ensure => absent instead of include (class { \'knock_NAME\': ensure => absent }) and apply:',
    '# every chain and rule the class added goes, nothing else; then drop the declaration.',
    '# Nothing here is declared: applied alone, this file changes nothing.',
  ];
  for (const [i, c] of classes.entries()) {
    const m = members[i]!;
    lines.push('', ...headerFor(m.door, m.options, `class ${c.className}`, version, [...classLines(c, m.options.families), ...COMMON]), c.text);
  }
  lines.push('');
  return lines.join('\n');
}

import { ConfigError } from '../../../src/shared/errors.js';
import { doorOf } from '../../../src/rules/door.js';
import { puppetClass, puppetClassName, puppetGroupRules, puppetId, puppetRules, quote, type Family } from '../../../src/rules/puppet.js';
import { parseProfile } from '../../../src/store/profiles.js';
import { profile, VERSION } from '../../helpers/rules-profiles.js';

interface Res {
  type: string;
  title: string;
  attrs: Map<string, string>;
  keys: string[];
}

/** The manifest's resources, as the writer lays them out (two spaces, one attribute a line). */
function resources(text: string): Res[] {
  const out: Res[] = [];
  const re = /^ {2}(firewall|firewallchain) \{ '([^']*)':\n((?: {4}.*\n)*?) {2}\}$/gm;
  for (const m of text.matchAll(re)) {
    const keys: string[] = [];
    const attrs = new Map<string, string>();
    for (const line of m[3]!.split('\n').filter(Boolean)) {
      const a = /^ {4}(\w+) +=> (.*),$/.exec(line);
      if (!a) throw new Error(`unparsed attribute line ${JSON.stringify(line)}`);
      keys.push(a[1]!);
      attrs.set(a[1]!, a[2]!);
    }
    out.push({ type: m[1]!, title: m[2]!, attrs, keys });
  }
  return out;
}

const both: Family[] = [4, 6];
const office = () => puppetRules(doorOf(profile('office')), { families: both }, VERSION);

describe('puppetRules', () => {
  test('every resource is the class parameter ensure; every rule names its provider and chain', () => {
    const all = resources(office());
    expect(all.length).toBeGreaterThan(40);
    for (const r of all) expect(r.attrs.get('ensure')).toBe('$ensure');
    for (const r of all.filter((x) => x.type === 'firewall')) {
      expect(r.attrs.get('provider')).toMatch(/^'ip6?tables'$/);
      expect(r.attrs.get('chain')).toMatch(/^'[A-Za-z0-9_-]{1,28}'$/);
      // proto defaults to tcp in the module: every rule says what it matches.
      expect(r.attrs.has('proto')).toBe(true);
    }
  });

  test("the door's own chains purge what they do not declare; nothing of the admin's (INPUT) is purged", () => {
    const chains = resources(office()).filter((r) => r.type === 'firewallchain');
    expect(chains.length).toBe(2 * 6);
    for (const c of chains) {
      expect(c.title).toMatch(/^knock-office(-\w+)?:filter:IPv[46]$/);
      expect(c.attrs.get('purge')).toBe('true');
    }
  });

  test('titles are unique, and within a chain their string order is the rule order', () => {
    const rules = resources(office()).filter((r) => r.type === 'firewall');
    expect(new Set(rules.map((r) => r.title)).size).toBe(rules.length);
    const byChain = new Map<string, string[]>();
    for (const r of rules) {
      const key = `${r.attrs.get('provider')} ${r.attrs.get('chain')}`;
      byChain.set(key, [...(byChain.get(key) ?? []), r.title]);
    }
    expect(byChain.size).toBeGreaterThan(10);
    for (const titles of byChain.values()) {
      expect([...titles].sort()).toEqual(titles);
      for (const t of titles) expect(t).toMatch(/^\d{3} /);
    }
  });

  test("the jump from INPUT sorts ahead of an admin's usual titles ('000 accept all icmp', '001 ...')", () => {
    const jumps = resources(office()).filter((r) => r.attrs.get('chain') === "'INPUT'");
    expect(jumps.map((r) => r.attrs.get('jump'))).toEqual(["'knock-office-in'", "'knock-office-in'"]);
    for (const j of jumps) expect([j.title, '000 accept all icmp', '001 accept all to lo interface', '100 allow ssh'].sort()[0]).toBe(j.title);
  });

  test('one recent match per rule, and no goto (the ip6tables provider leaves it out)', () => {
    for (const r of resources(office())) {
      expect(r.keys.filter((k) => k === 'recent').length).toBeLessThanOrEqual(1);
      expect(r.keys).not.toContain('goto');
      if (r.attrs.has('recent')) expect(r.attrs.get('mask')).toMatch(/^'(255\.255\.255\.255|ffff(:ffff){7})'$/);
    }
  });

  test('both families for a profile without family: chains :IPv4 and :IPv6, rules of provider ip6tables', () => {
    const all = resources(office());
    const chains = all.filter((r) => r.type === 'firewallchain').map((r) => r.title);
    expect(chains).toContain('knock-office-in:filter:IPv4');
    expect(chains).toContain('knock-office-in:filter:IPv6');
    expect(chains.filter((c) => c.endsWith(':IPv4')).length).toBe(chains.filter((c) => c.endsWith(':IPv6')).length);
    const v6 = all.filter((r) => r.attrs.get('provider') === "'ip6tables'");
    expect(v6.length).toBeGreaterThan(20);
    // xt_recent lists are one namespace for both families: the IPv6 lists are named apart.
    for (const r of v6.filter((x) => x.attrs.has('rname'))) expect(r.attrs.get('rname')).toMatch(/^'knock6-office-/);
  });

  test('family 4 or 6 limits it', () => {
    for (const family of [4, 6] as const) {
      const text = puppetRules(doorOf(profile('office')), { families: [family] }, VERSION);
      const other = family === 4 ? 'IPv6' : 'IPv4';
      expect(text).not.toContain(`:filter:${other}`);
      expect(text).not.toContain(`(${other})`);
      expect(text).toContain(family === 4 ? 'IPv4 only (iptables)' : 'IPv6 only (ip6tables)');
    }
  });

  test('seq_timeout on every stage check, open_for on the opened check only, ICMP by IP length', () => {
    const all = resources(office());
    const stageChecks = all.filter((r) => r.attrs.get('recent') === "'rcheck'" && /-open[12]'$/.test(r.attrs.get('rname') ?? ''));
    expect(stageChecks.length).toBe(4);
    for (const r of stageChecks) expect(r.attrs.get('rseconds')).toBe("'5'");
    const opened = all.filter((r) => r.attrs.get('action') === "'accept'" && r.attrs.get('recent') === "'rcheck'");
    expect(opened.map((r) => r.attrs.get('rseconds'))).toEqual(["'30'", "'30'"]);
    const lengths = new Set(all.filter((r) => r.attrs.has('length')).map((r) => `${r.attrs.get('provider')} ${r.attrs.get('length')}`));
    expect(lengths).toEqual(new Set(["'iptables' '92'", "'ip6tables' '112'"]));
    const noOpenFor = resources(puppetRules(doorOf(profile('mini')), { families: both }, VERSION));
    expect(noOpenFor.filter((r) => r.attrs.get('action') === "'accept'" && r.attrs.has('recent')).every((r) => !r.attrs.has('rseconds'))).toBe(true);
  });

  test('the service port and its protocol: TCP gets a reset, UDP a port-unreachable per family', () => {
    const tcp = resources(puppetRules(doorOf(profile('web'), [22, 443]), { families: both }, VERSION));
    const reject = tcp.filter((r) => r.attrs.get('action') === "'reject'");
    expect(reject.map((r) => [r.attrs.get('proto'), r.attrs.get('dport'), r.attrs.get('reject')])).toEqual([
      ["'tcp'", "['22', '443']", "'tcp-reset'"],
      ["'tcp'", "['22', '443']", "'tcp-reset'"],
    ]);
    const udp = resources(puppetRules(doorOf(profile('mini', { port: '1194/udp' })), { families: both, serviceProtocol: 'udp' }, VERSION));
    expect(udp.filter((r) => r.attrs.get('action') === "'reject'").map((r) => [r.attrs.get('proto'), r.attrs.get('dport'), r.attrs.get('reject')])).toEqual([
      ["'udp'", "['1194']", "'icmp-port-unreachable'"],
      ["'udp'", "['1194']", "'icmp6-port-unreachable'"],
    ]);
    const udpText = puppetRules(doorOf(profile('mini', { port: '1194/udp' })), { families: both, serviceProtocol: 'udp' }, VERSION);
    expect(udpText).toContain('\n# Guards UDP port 1194 (IPv4 and IPv6):');
    expect(udpText).not.toContain('TCP port');
    const udpNew = udp.filter((r) => r.attrs.get('action') === "'accept'" && r.attrs.has('recent'));
    expect(udpNew.every((r) => r.attrs.get('proto') === "'udp'" && !r.attrs.has('tcp_flags'))).toBe(true);
  });

  test('a UDP knock on a UDP service port is refused', () => {
    const p = parseProfile('vpn', { port: '1194/udp', open: [7000, '1194:udp'] }, 'test');
    expect(() => puppetRules(doorOf(p), { families: both, serviceProtocol: 'udp' }, VERSION)).toThrow(ConfigError);
  });

  test('the header: what it does, that the admin adds nothing, how to remove it; the class declared on the last line', () => {
    const text = office();
    expect(text).toMatch(/^# knock rules for profile 'office' \(host gate\.example\.com\): Puppet manifest for puppetlabs-firewall 3\.x, by knock 0\.1\.0\n/);
    expect(text).toContain('# You add nothing:');
    expect(text).toContain("# Remove: sed -i '$s/ensure => present/ensure => absent/' FILE && puppet apply FILE (");
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe("class { 'knock_office': ensure => present }");
    expect(text.match(/ensure => present/g)).toHaveLength(2); // the header's sed, and the last line
  });

  test('removal order: chains before rules when present, rules before chains when absent', () => {
    const text = office();
    expect(text).toContain("  if $ensure == 'present' {\n    Firewallchain <| tag == 'knock_office' |> -> Firewall <| tag == 'knock_office' |>\n  } else {\n    Firewall <| tag == 'knock_office' |> -> Firewallchain <| tag == 'knock_office' |>\n  }");
  });
});

describe('names', () => {
  test('class names: letters, digits and _, injective over names that differ only in -, _, . or case', () => {
    const names = ['a-b', 'a_b', 'a.b', 'A-b', 'ab', 'a_0b', 'a__b', 'aB', 'ab0', 'a-0b', 'A_b', 'a_B', 'AB', 'a1b', 'a_1b'];
    const classes = names.map(puppetClassName);
    expect(new Set(classes).size).toBe(names.length);
    for (const c of classes) expect(c).toMatch(/^knock_[a-z0-9_]+$/);
    expect(puppetClassName('office')).toBe('knock_office');
    expect(puppetClassName('gw-2.Example_org')).toBe('knock_gw_02_1_example__org');
  });

  test.each(['a b', "o'neil", 'x\ny', 'é', '$x'])('a name that cannot become a class is refused: %j', (name) => {
    expect(() => puppetClassName(name)).toThrow(ConfigError);
  });

  test("no two profiles share a chain or a list: x and x-knock, x and x-in, a dotted name and its shortened twin (fixed-seed fuzz)", () => {
    const chainsOf = (name: string) => {
      const door = doorOf(parseProfile(name, { open: [7000, 7001, 7002] }, 'test'));
      const names = new Set<string>();
      for (const r of resources(puppetRules(door, { families: both }, VERSION))) {
        if (r.type === 'firewallchain') names.add(r.title.replace(/:.*/, ''));
        const rname = r.attrs.get('rname');
        if (rname) names.add(rname.slice(1, -1));
      }
      return names;
    };
    let seed = 0x2545f491;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = 'ab.-_0';
    const base: string[] = ['x', 'gw.a', 'gw_a'];
    for (let i = 0; i < 40; i++) base.push(Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('').replace(/^[-._]+/, 'a'));
    const names = new Set<string>();
    for (const b of base) for (const suffix of ['', '-in', '-knock', '-open', '-close', '-o1', '-c1', '-taken', '-opened', '-open1']) names.add(b + suffix);
    const hashed = doorOf(parseProfile('gw.a', { open: [7000, 7001, 7002] }, 'test'));
    names.add(puppetId(hashed)); // a short name spelled as another's shortened id
    const owner = new Map<string, string>();
    for (const name of names) {
      for (const chain of chainsOf(name)) {
        expect([chain, owner.get(chain) ?? name]).toEqual([chain, name]);
        owner.set(chain, name);
      }
    }
  });

  test('chain names: no dots (the module refuses them), at most 28 characters, a hash where shortened', () => {
    const long = doorOf(parseProfile('gw-2.example_org-bastion', { open: [7000, 7001, 7002] }, 'test'));
    expect(puppetId(long)).toMatch(/^gw-2_exam-[0-9a-f]{6}$/);
    const dotted = doorOf(parseProfile('a.b', { open: [7000, 7001] }, 'test'));
    const underscored = doorOf(parseProfile('a_b', { open: [7000, 7001] }, 'test'));
    expect(puppetId(dotted)).not.toBe(puppetId(underscored));
    for (const r of resources(puppetRules(long, { families: both }, VERSION))) {
      const chain = r.type === 'firewallchain' ? r.title.replace(/:.*/, '') : r.attrs.get('chain')!.slice(1, -1);
      expect(chain).toMatch(/^[A-Za-z0-9_-]{1,28}$/);
    }
  });

  test("quote: Puppet single quotes; anything that would need an escape is refused, never escaped wrong", () => {
    expect(quote('knock-office')).toBe("'knock-office'");
    for (const bad of ["a'b", 'a\\b', 'a\nb', 'a\tb', 'é', '\x1b[2J']) expect(() => quote(bad)).toThrow(ConfigError);
  });

  test('a hostile profile name never reaches the manifest: doorOf refuses it first (exit 2)', () => {
    for (const name of ["x'}; exec { 'id':", 'a b', 'x\nclass evil {}']) {
      expect(() => puppetRules(doorOf(parseProfile(name, { open: [7000, 7001] }, 'test')), { families: both }, VERSION)).toThrow(ConfigError);
    }
  });
});

describe('puppetGroupRules', () => {
  test('one class per member, each named in the header; nothing declared', () => {
    const members = ['office', 'web', 'mini'].map((n) => ({ door: doorOf(profile(n as 'office')), options: { families: both } }));
    const text = puppetGroupRules('fleet', members, VERSION);
    expect(text).toMatch(/^# knock rules for group '@fleet': Puppet classes/);
    for (const c of ['knock_office', 'knock_web', 'knock_mini']) {
      expect(text).toContain(`#   ${c}: profile '`);
      expect(text.match(new RegExp(`^class ${c} \\($`, 'gm'))).toHaveLength(1);
    }
    expect(text).not.toMatch(/^(include|class \{)/m);
    // Each class is the single profile's class, word for word.
    expect(text).toContain(puppetClass(members[0]!.door, members[0]!.options).text);
  });
});

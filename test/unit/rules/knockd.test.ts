import { ConfigError } from '../../../src/shared/errors.js';
import { parseKnockdConf } from '../../../src/knockd/conf.js';
import { importKnockd } from '../../../src/knockd/import.js';
import { doorOf } from '../../../src/rules/door.js';
import { knockdRules } from '../../../src/rules/knockd.js';
import { fixture, profile, VERSION } from '../../helpers/rules-profiles.js';

describe('knockdRules', () => {
  test.each([
    ['mini', undefined, 'mini.knockd.conf'],
    ['web', [22, 443], 'web.knockd.conf'],
  ] as const)('%s: the pinned text', (name, ports, file) => {
    expect(knockdRules(doorOf(profile(name), ports ? [...ports] : undefined), VERSION)).toBe(fixture(file));
  });

  test('both families: command with iptables for IPv4 knockers, command_6 with ip6tables for IPv6 ones', () => {
    const text = knockdRules(doorOf(profile('mini')), VERSION);
    expect(text).toContain('\tcommand         = /usr/sbin/iptables -C INPUT -s %IP% -p tcp --dport 22 -j ACCEPT || /usr/sbin/iptables -I INPUT');
    expect(text).toContain('\tcommand_6       = /usr/sbin/ip6tables -C INPUT -s %IP% -p tcp --dport 22 -j ACCEPT || /usr/sbin/ip6tables -I INPUT');
  });

  test.each([
    [4, '/usr/sbin/iptables', '/usr/sbin/ip6tables'],
    [6, '/usr/sbin/ip6tables', '/usr/sbin/iptables'],
  ] as const)('family %s: the other family runs nothing (an empty command, so knockd 0.8 does not fall back to the other one)', (family, tool, not) => {
    const text = knockdRules(doorOf(profile('web', { family, host: 'gate.example.com' })), VERSION);
    expect(text).toContain(tool);
    expect(text).not.toContain(not + ' ');
    const empty = family === 4 ? ['start_command_6', 'stop_command_6', 'command_6'] : ['start_command', 'stop_command', 'command'];
    for (const key of empty) expect(text).toMatch(new RegExp(`^\\t${key} *=$`, 'm'));
  });

  test('a UDP service: the commands accept UDP; the header names the admin rules for both families', () => {
    const text = knockdRules(doorOf(profile('mini', { port: '1194/udp' })), VERSION);
    expect(text).toContain('-s %IP% -p udp --dport 1194 -j ACCEPT');
    expect(text).toContain('#   iptables -A INPUT -p udp --dport 1194 -j DROP\n');
    expect(text).toContain('#   ip6tables -A INPUT -p udp --dport 1194 -j DROP\n');
    expect(text).toContain('#   ip6tables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n');
    expect(text).not.toContain('-p tcp --dport 1194');
  });

  test('more than 32 knocks (knockd 0.8 would refuse its whole file) is refused; 32 pass', () => {
    const ports = (n: number) => Array.from({ length: n }, (_, i) => 10000 + i);
    expect(() => knockdRules(doorOf(profile('mini', { open: ports(33) })), VERSION)).toThrow("profile 'mini': the open sequence has 33 knocks; knockd takes at most 32");
    expect(() => knockdRules(doorOf(profile('mini', { close: ports(40) })), VERSION)).toThrow('the close sequence has 40 knocks');
    expect(knockdRules(doorOf(profile('mini', { open: ports(32) })), VERSION)).toContain(`sequence        = ${ports(32).map((p) => `${p}:tcp`).join(',')}\n`);
  });

  test('an ICMP knock is refused, naming it', () => {
    expect(() => knockdRules(doorOf(profile('office')), VERSION)).toThrow(ConfigError);
    expect(() => knockdRules(doorOf(profile('office')), VERSION)).toThrow("profile 'office': open knock 3 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables");
    expect(() => knockdRules(doorOf(profile('mini', { close: ['icmp'] })), VERSION)).toThrow("close knock 1 (icmp) is ICMP");
  });

  test('what knock import reads back is the profile it came from (sections paired, sequences, seq_timeout)', () => {
    const conf = parseKnockdConf(knockdRules(doorOf(profile('web')), VERSION), 'knockd.conf');
    expect(conf.sections.map((s) => [s.name, s.tcpflags, s.seqTimeout, s.cmdTimeout])).toEqual([
      ['open-web', 'syn', 3, 10],
      ['close-web', 'syn', 3, undefined],
    ]);
    const imported = importKnockd(conf, 'h');
    expect(imported.warnings).toEqual([]);
    expect(imported.profiles.map((p) => [p.name, p.profile.open, p.profile.close, p.profile.seq_timeout])).toEqual([['web', [7000, '8000:udp', 9000], [9000, '8000:udp', 7000], 3]]);
  });
});

import { doorOf } from '../../../src/rules/door.js';
import { iptablesRules } from '../../../src/rules/iptables.js';
import { fixture, profile, VERSION } from '../../helpers/rules-profiles.js';

describe('iptablesRules', () => {
  test.each([
    ['mini', 4, undefined, 'mini.iptables'],
    ['office', 4, undefined, 'office.iptables'],
    ['office', 6, undefined, 'office.ip6tables'],
    ['web', 4, [22, 443], 'web.iptables'],
  ] as const)('%s, IPv%s: the pinned text', (name, family, ports, file) => {
    expect(iptablesRules(doorOf(profile(name), ports ? [...ports] : undefined), family, VERSION)).toBe(fixture(file));
  });

  test('chains of its own and one jump from INPUT; nothing else touches INPUT', () => {
    const text = iptablesRules(doorOf(profile('office')), 4, VERSION);
    const rules = text.split('\n').filter((l) => /^-[AIDN]/.test(l));
    expect(rules.filter((l) => / INPUT /.test(l))).toEqual(['-I INPUT -j knock-office-in']);
    expect(new Set(rules.map((l) => l.split(' ')[1]))).toEqual(new Set(['INPUT', 'knock-office-in', 'knock-office-knock', 'knock-office-open', 'knock-office-close']));
    // Chains are made with -N, so a second load fails at once ("Chain already exists") and changes nothing.
    expect(text.split('\n').filter((l) => l.startsWith('-N '))).toEqual(['-N knock-office-in', '-N knock-office-knock', '-N knock-office-open', '-N knock-office-close']);
    expect(text).not.toMatch(/^:/m);
    expect(text.startsWith('# knock rules for profile')).toBe(true);
    expect(text.trimEnd().endsWith('COMMIT')).toBe(true);
  });

  test('one stage per knock: advance, repeat and reset for each stage after the first, each within seq_timeout', () => {
    const text = iptablesRules(doorOf(profile('mini', { seq_timeout: 7 })), 4, VERSION);
    const open = text.split('\n').filter((l) => l.startsWith('-A knock-mini-open '));
    expect(open).toHaveLength(4);
    expect(open.filter((l) => l.includes('--rcheck')).every((l) => l.includes('--seconds 7'))).toBe(true);
  });

  test('no open_for: the opened list has no --seconds (a door in use does not time out)', () => {
    const text = iptablesRules(doorOf(profile('mini')), 4, VERSION);
    expect(text).toContain('-m recent --name knock-mini-opened --rcheck -j ACCEPT');
  });

  test('ICMP knocks by length: size + 28 (IPv4), size + 48 (IPv6)', () => {
    expect(iptablesRules(doorOf(profile('office')), 4, VERSION)).toContain('--icmp-type echo-request -m length --length 92 ');
    expect(iptablesRules(doorOf(profile('office')), 6, VERSION)).toContain('--icmpv6-type echo-request -m length --length 112 ');
  });
});

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
    expect(knockdRules(doorOf(profile(name), ports ? [...ports] : undefined), 4, VERSION)).toBe(fixture(file));
  });

  test('-6: the commands use ip6tables', () => {
    const text = knockdRules(doorOf(profile('mini')), 6, VERSION);
    expect(text).toContain('command       = /usr/sbin/ip6tables -C INPUT -s %IP% -p tcp --dport 22 -j ACCEPT || /usr/sbin/ip6tables -I INPUT');
    expect(text).not.toContain('/usr/sbin/iptables');
  });

  test('an ICMP knock is refused, naming it', () => {
    expect(() => knockdRules(doorOf(profile('office')), 4, VERSION)).toThrow(ConfigError);
    expect(() => knockdRules(doorOf(profile('office')), 4, VERSION)).toThrow("profile 'office': open knock 3 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables");
    expect(() => knockdRules(doorOf(profile('mini', { close: ['icmp'] })), 4, VERSION)).toThrow("close knock 1 (icmp) is ICMP");
  });

  test('what knock import reads back is the profile it came from (sections paired, sequences, seq_timeout)', () => {
    const conf = parseKnockdConf(knockdRules(doorOf(profile('web')), 4, VERSION), 'knockd.conf');
    expect(conf.sections.map((s) => [s.name, s.tcpflags, s.seqTimeout, s.cmdTimeout])).toEqual([
      ['open-web', 'syn', 3, 10],
      ['close-web', 'syn', 3, undefined],
    ]);
    const imported = importKnockd(conf, 'h');
    expect(imported.warnings).toEqual([]);
    expect(imported.profiles.map((p) => [p.name, p.profile.open, p.profile.close, p.profile.seq_timeout])).toEqual([['web', [7000, '8000:udp', 9000], [9000, '8000:udp', 7000], 3]]);
  });
});

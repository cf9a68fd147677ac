import { doorOf } from '../../../src/rules/door.js';
import { nftablesRules } from '../../../src/rules/nftables.js';
import { fixture, profile, VERSION } from '../../helpers/rules-profiles.js';

describe('nftablesRules', () => {
  test.each([
    ['mini', undefined, 'mini.nft'],
    ['office', undefined, 'office.nft'],
    ['web', [22, 443], 'web.nft'],
  ] as const)('%s: the pinned text', (name, ports, file) => {
    expect(nftablesRules(doorOf(profile(name), ports ? [...ports] : undefined), VERSION)).toBe(fixture(file));
  });

  test('one inet table named after the profile, emptied first so that a reload replaces it', () => {
    const lines = nftablesRules(doorOf(profile('office')), VERSION).split('\n').filter((l) => !l.startsWith('#'));
    expect(lines.slice(0, 3)).toEqual(['add table inet knock_office', 'delete table inet knock_office', 'table inet knock_office {']);
    expect(lines.filter((l) => /^\S/.test(l) && l !== '}')).toHaveLength(3);
  });

  test('a set per stage and family with seq_timeout; the opened set times out only with open_for', () => {
    const text = nftablesRules(doorOf(profile('office')), VERSION);
    expect(text).toContain('set open1_v4 { type ipv4_addr; flags dynamic,timeout; timeout 5s; size 65535; }');
    expect(text).toContain('set open2_v6 { type ipv6_addr; flags dynamic,timeout; timeout 5s; size 65535; }');
    expect(text).toContain('set opened_v4 { type ipv4_addr; flags dynamic,timeout; timeout 30s; size 65535; }');
    expect(nftablesRules(doorOf(profile('mini')), VERSION)).toContain('set opened_v6 { type ipv6_addr; flags dynamic; size 65535; }');
  });
});

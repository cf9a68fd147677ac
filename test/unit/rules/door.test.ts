import { ConfigError } from '../../../src/shared/errors.js';
import { doorId, doorOf, header, ID_MAX } from '../../../src/rules/door.js';
import { iptablesRules } from '../../../src/rules/iptables.js';
import { knockdRules } from '../../../src/rules/knockd.js';
import { nftablesRules } from '../../../src/rules/nftables.js';
import { parseProfile, type Profile } from '../../../src/store/profiles.js';

const make = (name: string, extra: Record<string, unknown> = {}): Profile => parseProfile(name, { open: [7000, '8000:udp'], close: [9000], ...extra }, 'test');
const everyFormat = (p: Profile) => [iptablesRules(doorOf(p), 4, 'v'), iptablesRules(doorOf(p), 6, 'v'), nftablesRules(doorOf(p), 'v'), knockdRules(doorOf(p), 4, 'v')];

describe('doorOf: what may reach a firewall file', () => {
  test.each([
    'a b',
    'x;iptables -F',
    'x\n-A INPUT -j ACCEPT',
    "o'neil",
    'say"hi"',
    '$(reboot)',
    'a`id`',
    '-x',
    '.hidden',
    'x/y',
    'x]\n[evil',
    'tab\there',
    '',
  ])('a hostile or unusable name is refused (exit 2): %j', (name) => {
    const p = make(name);
    expect(() => doorOf(p)).toThrow(ConfigError);
    expect(() => doorOf(p)).toThrow(/a name for firewall rules may hold only letters, digits/);
  });

  test.each(['gate example', 'gate;reboot', 'gate\n-A INPUT -j ACCEPT', "gate'", 'gate"', '$(id)', '%IP%'])('a hostile host is refused (exit 2): %j', (host) => {
    const p = make('ok', { host });
    expect(() => doorOf(p)).toThrow(ConfigError);
    expect(() => doorOf(p)).toThrow(`host ${JSON.stringify(host)} is not a plain host name or address`);
  });

  test('plain names and hosts pass, and nothing but them and numbers reaches the text', () => {
    for (const text of everyFormat(make('Office-2.gw_a', { host: 'gate-1.example.com', port: 2222 }))) {
      expect(text).toContain("profile 'Office-2.gw_a'");
      expect(text).toContain('(host gate-1.example.com)');
      // Outside comments nothing is quoted, so nothing could end a quote early.
      const rules = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
      expect(rules).toContain('Office-2.gw_a');
      expect(rules).not.toMatch(/[`$"'\\]/);
    }
  });

  test('a knock on the service port is refused: the door would answer it as the service', () => {
    expect(() => doorOf(make('p', { port: 7000 }))).toThrow("profile \"p\": open knock 1 (7000) is on the service port: the door could never see it as a knock");
    expect(() => doorOf(make('p'), [22, 9000])).toThrow('close knock 1 (9000) is on the service port');
    // A UDP knock on the same number is a different port.
    expect(doorOf(make('p'), [8000]).services).toEqual([8000]);
  });

  test('service ports: the profile port, else 22; given ports win, duplicates once', () => {
    expect(doorOf(make('p')).services).toEqual([22]);
    expect(doorOf(make('p', { port: 2222 })).services).toEqual([2222]);
    expect(doorOf(make('p', { port: 2222 }), [443, 80, 443]).services).toEqual([443, 80]);
  });

  test('whole seconds: seq_timeout rounds up (1.2 s is 2: a window never shrinks)', () => {
    expect(doorOf(make('p', { seq_timeout: 1.2 })).seqTimeout).toBe(2);
    expect(doorOf(make('p', { open_for: 5 })).openFor).toBe(5);
  });

  test('the protocols that count as knocks are the ones the sequences use', () => {
    expect(doorOf(make('p')).protocols).toEqual(['tcp', 'udp']);
    expect(doorOf(parseProfile('p', { open: ['icmp', 7000] }, 't')).protocols).toEqual(['tcp', 'icmp']);
  });
});

describe('doorId', () => {
  test('a short name is its own id', () => {
    expect(doorId('office')).toBe('office');
    expect(doorId('a'.repeat(ID_MAX))).toBe('a'.repeat(ID_MAX));
  });

  test('a long name: its start and a hash, so that iptables chain names stay within 28 characters', () => {
    const a = doorId('production-bastion-frankfurt');
    const b = doorId('production-bastion-paris');
    expect(a).toHaveLength(ID_MAX);
    expect(a.startsWith('productio-')).toBe(true);
    expect(a).not.toBe(b);
    const text = iptablesRules(doorOf(make('production-bastion-frankfurt')), 4, 'v');
    const chains = [...text.matchAll(/^:(\S+)/gm)].map((m) => m[1]!);
    expect(chains).toHaveLength(4);
    for (const chain of chains) expect(chain.length).toBeLessThanOrEqual(28);
  });
});

describe('header', () => {
  test('names the profile and the version, never a knock', () => {
    const door = doorOf(make('p', { port: 2222 }));
    const lines = header(door, 'iptables (IPv4)', '1.2.3', ['Load: x']);
    expect(lines[0]).toBe("# knock rules for profile 'p': iptables (IPv4), by knock 1.2.3");
    expect(lines.every((l) => l.startsWith('# '))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/7000|8000|9000/);
  });
});

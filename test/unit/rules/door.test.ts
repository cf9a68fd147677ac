import { ConfigError } from '../../../src/shared/errors.js';
import { checkDistinctDoors, doorId, doorOf, header, ID_MAX, MAX_OPEN_FOR, MAX_SERVICE_PORTS } from '../../../src/rules/door.js';
import { iptablesRules } from '../../../src/rules/iptables.js';
import { knockdRules } from '../../../src/rules/knockd.js';
import { nftablesRules } from '../../../src/rules/nftables.js';
import { parseProfile, type Profile } from '../../../src/store/profiles.js';

const make = (name: string, extra: Record<string, unknown> = {}): Profile => parseProfile(name, { open: [7000, '8000:udp'], close: [9000], ...extra }, 'test');
const everyFormat = (p: Profile) => [iptablesRules(doorOf(p), 4, 'v'), iptablesRules(doorOf(p), 6, 'v'), nftablesRules(doorOf(p), 'v'), knockdRules(doorOf(p), 'v')];

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
    // A short name of the shortened shape is shortened too: it cannot be another name's id.
    expect(doorId(a)).not.toBe(a);
    expect(doorId(a)).toHaveLength(ID_MAX);
    expect(a).not.toBe(b);
    const text = iptablesRules(doorOf(make('production-bastion-frankfurt')), 4, 'v');
    const chains = [...text.matchAll(/^-N (\S+)/gm)].map((m) => m[1]!);
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

/** mulberry32: a small PRNG in 32-bit integer arithmetic, so a fixed seed gives the same inputs everywhere. */
function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/** Every firewall object name a profile's rules make, in every format, with the format's kind. */
function objectNames(p: Profile): string[] {
  const door = doorOf(p);
  const names: string[] = [];
  for (const family of [4, 6] as const) {
    const text = iptablesRules(door, family, 'v');
    names.push(...[...text.matchAll(/^-N (\S+)/gm)].map((m) => `chain:${m[1]}`));
    names.push(...new Set([...text.matchAll(/--name (\S+)/g)].map((m) => `recent:${m[1]}`)));
  }
  names.push(...[...nftablesRules(door, 'v').matchAll(/^table (\S+ \S+) \{/gm)].map((m) => `nft:${m[1]}`));
  names.push(...[...knockdRules(door, 'v').matchAll(/^\[(\S+)\]$/gm)].map((m) => `knockd:${m[1]}`));
  return names;
}

describe('names cannot collide (issue: x and x-open shared chains)', () => {
  test.each([
    ['x', 'x-open'],
    ['y', 'y-knock'],
    ['z', 'z-close'],
    ['a', 'a-in'],
    ['b', 'b-opened'],
    ['c', 'c-open1'],
  ])('%s and %s: no chain, list, table or section in common', (a, b) => {
    const mine = new Set(objectNames(make(a)));
    expect(objectNames(make(b)).filter((n) => mine.has(n))).toEqual([]);
  });

  test("a 16-character name equal to a long name's shortened id gets an id of its own", () => {
    const long = 'production-bastion-frankfurt';
    const short = doorId(long);
    expect(short).toHaveLength(ID_MAX);
    const mine = new Set(objectNames(make(long)));
    expect(objectNames(make(short)).filter((n) => mine.has(n))).toEqual([]);
  });

  test('fuzz (fixed seed, 400 names built from the suffixes and separators that made collisions): every name its own objects', () => {
    const rand = seeded(22);
    const parts = ['x', 'open', 'knock', 'close', 'in', 'opened', 'open1', 'close1', '6', 'knock6', '-', '.', '_', 'a1', 'productio'];
    const names = new Set<string>(['production-bastion-frankfurt', doorId('production-bastion-frankfurt')]);
    while (names.size < 400) {
      let name = parts[rand(parts.length)]!.replace(/^[-._]/, 'q');
      for (let i = rand(5); i > 0; i--) name += parts[rand(parts.length)]!;
      if (rand(4) === 0) name += '-' + rand(0x1000000).toString(16).padStart(6, '0');
      names.add(name);
      // And the name with a suffix a format appends, as another profile's name.
      names.add(`${name}-${['open', 'knock', 'close', 'in', 'opened', 'open1', 'close2'][rand(7)]}`);
    }
    const owner = new Map<string, string>();
    for (const name of names) {
      for (const object of objectNames(make(name))) {
        expect([object, owner.get(object) ?? name]).toEqual([object, name]);
        owner.set(object, name);
      }
    }
    expect(owner.size).toBeGreaterThan(400 * 8);
  });

  test('two names whose ids agree (only a hash collision can do it) are refused, naming both', () => {
    const a = 'production-bastion-frankfurt';
    expect(() => checkDistinctDoors(a, ['office', a])).not.toThrow();
    expect(() => checkDistinctDoors('x', ['x', 'x-open', 'x-close'])).not.toThrow();
    // Found by search: two names whose shortened ids agree (six hex digits of sha256 both 1cebba).
    expect(doorId('collision-pair-1225')).toBe(doorId('collision-pair-6063'));
    expect(() => checkDistinctDoors('collision-pair-1225', ['office', 'collision-pair-6063'])).toThrow(
      'profiles "collision-pair-1225" and "collision-pair-6063" would share the firewall names collision-1cebba: rename one',
    );
  });
});

describe('numbers within what every tool takes (each limit measured against the real tool)', () => {
  test.each([1e300, 2147483648, 4000001, 0.5])('open_for %s is refused, naming the limit', (openFor) => {
    const p = { ...make('p'), openFor };
    expect(() => doorOf(p)).toThrow(ConfigError);
    expect(() => doorOf(p)).toThrow(`open_for ${openFor} is out of range (1-${MAX_OPEN_FOR} s`);
  });

  test('open_for at the limit reaches every format whole', () => {
    const door = doorOf(make('p', { open_for: MAX_OPEN_FOR }));
    expect(iptablesRules(door, 4, 'v')).toContain(`--seconds ${MAX_OPEN_FOR} -j ACCEPT`);
    expect(nftablesRules(door, 'v')).toContain(`timeout ${MAX_OPEN_FOR}s;`);
    expect(knockdRules(door, 'v')).toContain(`cmd_timeout     = ${MAX_OPEN_FOR}\n`);
  });

  test('at most 15 service ports (multiport); 15 pass', () => {
    const ports = Array.from({ length: 16 }, (_, i) => 1000 + i);
    expect(() => doorOf(make('p'), ports)).toThrow(`16 service ports; at most ${MAX_SERVICE_PORTS} (iptables multiport's limit)`);
    expect(iptablesRules(doorOf(make('p'), ports.slice(0, 15)), 4, 'v')).toContain(`--dports ${ports.slice(0, 15).join(',')}`);
  });

  test('the largest ICMP knock: --length 1480 (IPv4) and 1500 (IPv6), within one packet', () => {
    const door = doorOf(parseProfile('p', { open: [7000, 'icmp:1452'] }, 't'));
    expect(iptablesRules(door, 4, 'v')).toContain('--length 1480 ');
    expect(iptablesRules(door, 6, 'v')).toContain('--length 1500 ');
    expect(nftablesRules(door, 'v')).toContain('meta length 1500 ');
  });
});

describe('hosts: an address in any spelling, a host name, nothing else', () => {
  test.each(['::1', '::ffff:1.2.3.4', '2001:db8::7', '198.18.0.2', 'fe80::1%eth0', 'gate-1.example.com'])('%s is named in the header', (host) => {
    for (const text of everyFormat(make('p', { host }))) expect(text.split('\n')[0]).toContain(`(host ${host})`);
  });
  test.each([
    ['::1', 4, 'IPv6'],
    ['198.18.0.2', 6, 'IPv4'],
    ['::ffff:198.18.0.2', 6, 'IPv4'],
  ] as const)('host %s with family %s is refused: the rules would guard the other family', (host, family, is) => {
    expect(() => doorOf(make('p', { host, family }))).toThrow(`host ${host} is ${is} but the profile has family: ${family}`);
  });
  test('an address of the family the profile names passes', () => {
    expect(doorOf(make('p', { host: '::ffff:198.18.0.2', family: 4 })).families).toEqual([4]);
    expect(doorOf(make('p', { host: '::1', family: 6 })).families).toEqual([6]);
  });
  test.each([':::', '::1 2', '1.2.3.4:22', 'fe80::1%eth0;id', '::ffff:1.2.3.4\n-A INPUT'])('%j is refused', (host) => {
    expect(() => doorOf(make('p', { host }))).toThrow('is not a plain host name or address');
  });
});

describe('a UDP knock with a payload: matched exactly where the format can', () => {
  const p = () => parseProfile('p', { open: [7000, { port: 8000, protocol: 'udp', payload: 'hex:' + 'ab'.repeat(130) }] }, 't');
  test('iptables: the length, and the bytes at their offset in pieces of 128 (xt_string)', () => {
    const text = iptablesRules(doorOf(p()), 4, 'v');
    expect(text).toContain(`-p udp --dport 8000 -m length --length ${28 + 130} -m string --algo bm --from 28 --to 156 --hex-string |${'ab'.repeat(128)}| -m string --algo bm --from 156 --to 158 --hex-string |abab|`);
    expect(iptablesRules(doorOf(p()), 6, 'v')).toContain(`-m length --length ${48 + 130} -m string --algo bm --from 48 --to 176 `);
  });
  test('nftables: udp length and raw payload in pieces of 16 bytes', () => {
    const text = nftablesRules(doorOf(p()), 'v');
    expect(text).toContain(`udp dport 8000 udp length ${8 + 130} @th,64,128 0x${'ab'.repeat(16)} @th,192,128 `);
    expect(text).toContain(`@th,${64 + 128 * 8},16 0xabab `);
  });
  test('knockd cannot: the header says any datagram counts', () => {
    expect(knockdRules(doorOf(p()), 'v')).toContain('# knockd does not read UDP payloads: any datagram to a knock port counts as that knock.');
  });
  test('text payloads reach the rules as hex only (nothing from the store is quoted)', () => {
    const q = parseProfile('p', { open: [7000, { port: 8000, protocol: 'udp', payload: 'text:a" -j ACCEPT |x' }] }, 't');
    for (const text of [iptablesRules(doorOf(q), 4, 'v'), nftablesRules(doorOf(q), 'v')]) {
      expect(text).not.toContain('ACCEPT |x');
      expect(text).toContain(Buffer.from('a" -j ACCEPT |x').toString('hex'));
    }
  });
});

describe('families and the service protocol', () => {
  test('family 4 or 6: nftables makes a table of that family only; both: inet', () => {
    expect(nftablesRules(doorOf(make('p', { family: 4 })), 'v')).toMatch(/^table ip knock_p \{$/m);
    expect(nftablesRules(doorOf(make('p', { family: 6 })), 'v')).toMatch(/^table ip6 knock_p \{$/m);
    expect(nftablesRules(doorOf(make('p', { family: 'both' })), 'v')).toMatch(/^table inet knock_p \{$/m);
    expect(nftablesRules(doorOf(make('p', { family: 4 })), 'v')).not.toMatch(/ip6|nfproto/);
  });
  test('a UDP service: every format guards UDP, never TCP, on that port', () => {
    const door = doorOf(make('p', { port: '1194/udp' }));
    const v4 = iptablesRules(door, 4, 'v');
    expect(v4).toContain('-A knock-p-in -p udp --dport 1194 -m conntrack --ctstate NEW -m recent --name knock-p-opened --rcheck -j ACCEPT');
    expect(v4).toContain('-A knock-p-in -p udp --dport 1194 -j REJECT --reject-with icmp-port-unreachable');
    expect(iptablesRules(door, 6, 'v')).toContain('-j REJECT --reject-with icmp6-port-unreachable');
    const nft = nftablesRules(door, 'v');
    expect(nft).toContain('udp dport 1194 ct state new ip6 saddr @opened_v6 return');
    expect(nft).toContain('udp dport 1194 reject\n');
    for (const text of [v4, nft]) expect(text).not.toMatch(/tcp (--)?dport 1194/);
    expect(v4.split('\n')[1]).toBe('# Guards UDP port 1194 (IPv4): new datagrams only from an address that knocked the open');
  });
  test('a UDP knock on a UDP service port is refused; a TCP knock on that number is fine', () => {
    expect(() => doorOf(make('p', { port: '8000/udp' }))).toThrow('open knock 2 (8000:udp) is on the service port');
    expect(doorOf(make('p', { port: '7000/udp' })).services).toEqual([7000]);
  });
});

describe('every header has exactly one Remove line', () => {
  test.each(['iptables4', 'iptables6', 'nftables', 'knockd'])('%s', (format) => {
    const door = doorOf(make('p'));
    const text = format === 'nftables' ? nftablesRules(door, 'v') : format === 'knockd' ? knockdRules(door, 'v') : iptablesRules(door, format === 'iptables6' ? 6 : 4, 'v');
    const lines = text.split('\n').filter((l) => l.startsWith('# Remove: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/-F(;|$| and)/);
  });
});

describe('class 2: no value from the store reaches a format\'s syntax unless that syntax allows it exactly', () => {
  // Outside comments, only these characters: no quote, `$`, backquote, backslash, `#`, `;` (iptables,
  // knockd), no control character but the tab nft indents with.
  const SAFE: Record<string, RegExp> = {
    iptables: /^[-A-Za-z0-9 ._,:|*/[\]]*$/,
    nftables: /^[-A-Za-z0-9 \t._,:|*/@{}();&=!<>]*$/,
    knockd: /^[-A-Za-z0-9 \t._,:|%=/[\]]*$/,
  };
  test('fuzz (fixed seed, 600 hostile profiles): refused with a ConfigError, or every rule line within its format\'s alphabet', () => {
    const rand = seeded(1022);
    const hostile = ['a', 'Z', '0', '.', '-', '_', ':', ' ', '\n', '\r', '\t', ';', '"', "'", '`', '$', '\\', '%', '#', '[', ']', '{', '}', '\u2028', '\u00a0', '\0', '|', '/', 'é', '%IP%', '::', 'ffff', '1.2.3.4'];
    const word = (max: number) => Array.from({ length: 1 + rand(max) }, () => hostile[rand(hostile.length)]).join('');
    let printed = 0;
    for (let i = 0; i < 600; i++) {
      // Mostly a plain start with one hostile piece inside, the case a loose check lets through.
      const name = rand(4) === 0 ? `ok${i}` : rand(3) === 0 ? word(8) : `n${i}${hostile[rand(hostile.length)]}x`;
      const raw: Record<string, unknown> = { open: [7000, { port: 8000, protocol: 'udp', payload: `text:${word(12)}` }], close: [9000] };
      if (rand(2)) raw.host = rand(3) === 0 ? `::ffff:1.2.3.${i % 250}` : rand(2) ? word(10) : `h${hostile[rand(hostile.length)]}.example`;
      if (rand(3) === 0) raw.port = rand(2) ? '1194/udp' : 2222;
      if (rand(4) === 0) raw.family = rand(2) ? 4 : 6;
      let p: Profile;
      try {
        p = parseProfile(name, raw, 't');
      } catch {
        continue; // the store refuses it before any format sees it
      }
      let door;
      try {
        door = doorOf(p);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        continue;
      }
      printed++;
      const texts = { iptables: iptablesRules(door, door.families[0]!, 'v'), nftables: nftablesRules(door, 'v'), knockd: knockdRules(door, 'v') };
      for (const [format, text] of Object.entries(texts)) {
        for (const line of text.split('\n')) {
          if (/^\s*#/.test(line)) {
            // A comment stays one comment: nothing in it ends the line or the comment early.
            expect(line).not.toMatch(/[\0-\x08\x0a-\x1f\u2028\u2029]/);
            continue;
          }
          expect([format, line, SAFE[format]!.test(line)]).toEqual([format, line, true]);
        }
      }
    }
    expect(printed).toBeGreaterThan(150);
  });
});

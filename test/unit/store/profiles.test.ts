import { ConfigError } from '../../../src/shared/errors.js';
import { brokenProfileMessage, DEFAULT_PROFILE_DELAY, DEFAULT_SEQ_TIMEOUT, parseProfile, parseStore } from '../../../src/store/profiles.js';

const FILE = '/home/u/.config/knock/config.yaml';

describe('parseStore', () => {
  test('a full profile, defaults and optional keys', () => {
    const store = parseStore(
      {
        profiles: {
          myserver: {
            host: ' 203.0.113.7 ',
            port: 2222,
            open: [7000, '8000:udp', { port: 9000, delay: 500 }, 'icmp:64'],
            close: '9000, 8000:udp 7000',
            delay: 50,
            seq_timeout: 10,
            description: 'the box',
          },
          bare: { open: [1] },
        },
      },
      FILE,
    );
    expect(store.file).toBe(FILE);
    expect(store.profiles.get('myserver')).toEqual({
      name: 'myserver',
      host: '203.0.113.7',
      port: 2222,
      open: [
        { protocol: 'tcp', port: 7000 },
        { protocol: 'udp', port: 8000 },
        { protocol: 'tcp', port: 9000, delay: 500 },
        { protocol: 'icmp', size: 64 },
      ],
      close: [
        { protocol: 'tcp', port: 9000 },
        { protocol: 'udp', port: 8000 },
        { protocol: 'tcp', port: 7000 },
      ],
      delay: 50,
      seqTimeout: 10,
      description: 'the box',
    });
    expect(store.profiles.get('bare')).toEqual({ name: 'bare', open: [{ protocol: 'tcp', port: 1 }], delay: DEFAULT_PROFILE_DELAY, seqTimeout: DEFAULT_SEQ_TIMEOUT });
  });

  test('an empty file or empty profiles is an empty store', () => {
    expect(parseStore(undefined, FILE).profiles.size).toBe(0);
    expect(parseStore(null, FILE).profiles.size).toBe(0);
    expect(parseStore({ profiles: null }, FILE).profiles.size).toBe(0);
  });

  test.each([
    [{ profiles: { a: { open: [1, 70000] } } }, "profile 'a': open[1]: port 70000 is out of range (1-65535)"],
    [{ profiles: { a: { open: [1, '2:sctp'] } } }, "profile 'a': open[1]: unknown protocol 'sctp' in '2:sctp'"],
    [{ profiles: { a: { open: [1], close: ['x'] } } }, "profile 'a': close[0]: 'x' is not a knock"],
    [{ profiles: { a: { open: [] } } }, "profile 'a': open: empty sequence"],
    [{ profiles: { a: { open: [1], close: [] } } }, "profile 'a': close: empty sequence"],
    [{ profiles: { a: { host: 'h' } } }, "profile 'a': open: missing"],
    [{ profiles: { a: { open: 7000 } } }, "profile 'a': open: expected a list of knocks"],
    [{ profiles: { a: { open: [1], bogus: 1 } } }, "profile 'a': unknown key 'bogus' (host, port, open"],
    [{ profiles: { a: { open: [1], delay: -3 } } }, "profile 'a': delay -3 must be a number of milliseconds from 0"],
    [{ profiles: { a: { open: [1], seq_timeout: 0 } } }, "profile 'a': seq_timeout 0 must be a number of seconds > 0"],
    [{ profiles: { a: { open: [1], port: 0 } } }, "profile 'a': port 0 must be a port 1-65535"],
    [{ profiles: { a: { open: [1], open_for: 0 } } }, "profile 'a': open_for 0 must be a whole number of seconds >= 1"],
    [{ profiles: { a: { open: [1], open_for: 1.5 } } }, "profile 'a': open_for 1.5 must be a whole number of seconds >= 1"],
    [{ profiles: { a: { open: [1], open_for: '60' } } }, 'profile \'a\': open_for "60" must be a whole number of seconds >= 1'],
    [{ profiles: { a: { open: [1], host: '' } } }, "profile 'a': host must be a non-empty string"],
    [{ profiles: { a: 'x' } }, "profile 'a': expected a mapping with at least 'open'"],
  ])('%j: the profile is broken, named with its error', (raw, message) => {
    const store = parseStore(raw, FILE);
    expect(store.profiles.has('a')).toBe(false);
    expect(brokenProfileMessage(FILE, 'a', store.broken!.get('a')!)).toContain(`${FILE}: ${message}`);
  });

  test.each([
    [{ profiles: [] }, "'profiles' must be a mapping"],
    [{ profiles: {}, profile: {} }, "unknown top-level key 'profile'"],
    [{ profile: {} }, "is not a knock profile store (expected a mapping with a 'profiles' key)"],
    [[1], "is not a knock profile store (expected a mapping with a 'profiles' key)"],
    ['root:x:0:0:secret', 'is not a knock profile store'],
  ])('%j: the whole store is refused', (raw, message) => {
    expect(() => parseStore(raw, FILE)).toThrow(ConfigError);
    expect(() => parseStore(raw, FILE)).toThrow(message);
  });

  test('a file that is not a store: none of its text is repeated', () => {
    expect(() => parseStore({ 'root:$y$j9T$secret': 'x' }, FILE)).toThrow(/^[^$]*$/);
    expect(() => parseStore('root:$y$j9T$secret', FILE)).not.toThrow(/secret/);
  });

  test('one bad profile leaves the others usable', () => {
    const store = parseStore({ profiles: { good: { open: [1] }, bad: { open: [0] } } }, FILE);
    expect([...store.profiles.keys()]).toEqual(['good']);
    expect([...store.broken!.keys()]).toEqual(['bad']);
  });

  test('every error of a profile is reported, not just the first', () => {
    const store = parseStore({ profiles: { bad: { open: [0, 'x'], port: 0, delay: 1e303, seq_timeout: -1, colour: 'red' } } }, FILE);
    const message = brokenProfileMessage(FILE, 'bad', store.broken!.get('bad')!);
    for (const part of ["unknown key 'colour'", 'port 0 must be a port 1-65535', 'open[0]', 'delay 1e+303', 'seq_timeout -1']) expect(message).toContain(part);
    expect(message).not.toContain('\n');
  });

  test('bounds: delay up to an hour, seq_timeout up to an hour, at most 256 knocks', () => {
    const broken = (p: object) => parseStore({ profiles: { p } }, FILE).broken!.get('p');
    expect(broken({ open: [1], delay: 3_600_000 })).toBeUndefined();
    expect(broken({ open: [1], delay: 3_600_001 })?.join()).toMatch(/delay 3600001 must be/);
    expect(broken({ open: [1], seq_timeout: 3601 })?.join()).toMatch(/seq_timeout 3601 must be/);
    expect(broken({ open: Array(257).fill(1) })?.join()).toMatch(/257 knocks, at most 256/);
    expect(broken({ open: [1, 2, 3], delay: 2_000_000 })?.join()).toMatch(/takes 4000000 ms: at most 3600000/);
  });

  test('open_for: whole seconds, kept as openFor; absent by default', () => {
    const store = parseStore({ profiles: { a: { open: [1], open_for: 60 }, b: { open: [1] } } }, FILE);
    expect(store.profiles.get('a')!.openFor).toBe(60);
    expect(store.profiles.get('b')).not.toHaveProperty('openFor');
  });
});

describe('packet options in a profile', () => {
  const one = (extra: Record<string, unknown>) => parseStore({ profiles: { a: { open: [1, 2], ...extra } } }, FILE).profiles.get('a')!;
  test('ttl, source and family', () => {
    expect(one({ ttl: 3, source: ' eth0 ', family: 'both' })).toMatchObject({ ttl: 3, source: 'eth0', family: 'both' });
    expect(one({ family: 6 }).family).toBe(6);
    expect(one({ family: '4' }).family).toBe(4);
    expect(one({})).not.toHaveProperty('ttl');
  });
  test.each([
    [{ ttl: 0 }, "profile 'a': TTL 0 is out of range (1-255)"],
    [{ ttl: '3' }, "profile 'a': TTL \"3\" is out of range"],
    [{ source: '' }, "profile 'a': source must be an address or an interface name"],
    [{ source: 7 }, "profile 'a': source must be"],
    [{ family: 'ipv6' }, "profile 'a': family \"ipv6\" must be 4, 6 or both"],
  ])('%j is refused', (extra, message) => {
    // In a store a broken profile stands aside (store.broken); on its own it is an error.
    const alone = () => parseProfile('a', { open: [1, 2], ...extra }, FILE);
    expect(alone).toThrow(ConfigError);
    expect(alone).toThrow(message);
    expect(parseStore({ profiles: { a: { open: [1, 2], ...extra } } }, FILE).broken?.has('a')).toBe(true);
  });
});

describe('the service port and its protocol', () => {
  test.each([
    [22, 22, undefined],
    ['22', 22, undefined],
    ['22/tcp', 22, undefined],
    ['1194/udp', 1194, 'udp'],
  ])('port %p is %p over %p', (port, expected, protocol) => {
    const store = parseStore({ profiles: { a: { open: [1], port } } }, 'f.yaml');
    expect(store.profiles.get('a')?.port).toBe(expected);
    expect(store.profiles.get('a')?.portProtocol).toBe(protocol);
  });
  test.each([0, 65536, 22.5, '22/sctp', '1194/UDP ', 'udp/1194', '', -1])('port %p is refused', (port) => {
    const store = parseStore({ profiles: { a: { open: [1], port } } }, 'f.yaml');
    expect(store.profiles.has('a')).toBe(false);
    expect(store.broken?.get('a')?.join('; ')).toMatch(/^port .* must be a port 1-65535, optionally with \/tcp or \/udp \(1194\/udp\)$/);
  });
});

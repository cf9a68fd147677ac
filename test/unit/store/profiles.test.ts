import { ConfigError } from '../../../src/shared/errors.js';
import { DEFAULT_PROFILE_DELAY, DEFAULT_SEQ_TIMEOUT, parseStore } from '../../../src/store/profiles.js';

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
    [{ profiles: { a: { open: [1], delay: -3 } } }, "profile 'a': delay -3 must be a number of milliseconds >= 0"],
    [{ profiles: { a: { open: [1], seq_timeout: 0 } } }, "profile 'a': seq_timeout 0 must be a number of seconds > 0"],
    [{ profiles: { a: { open: [1], port: 0 } } }, "profile 'a': port 0 is out of range"],
    [{ profiles: { a: { open: [1], open_for: 0 } } }, "profile 'a': open_for 0 must be a whole number of seconds >= 1"],
    [{ profiles: { a: { open: [1], open_for: 1.5 } } }, "profile 'a': open_for 1.5 must be a whole number of seconds >= 1"],
    [{ profiles: { a: { open: [1], open_for: '60' } } }, 'profile \'a\': open_for "60" must be a whole number of seconds >= 1'],
    [{ profiles: { a: { open: [1], host: '' } } }, "profile 'a': host must be a non-empty string"],
    [{ profiles: { a: 'x' } }, "profile 'a': expected a mapping with at least 'open'"],
    [{ profiles: [] }, "'profiles' must be a mapping"],
    [{ profile: {} }, "unknown top-level key 'profile'"],
    [[1], "expected a mapping with a 'profiles' key"],
  ])('%j: a config error naming file and profile', (raw, message) => {
    expect(() => parseStore(raw, FILE)).toThrow(ConfigError);
    expect(() => parseStore(raw, FILE)).toThrow(`${FILE}: ${message}`);
  });

  test('open_for: whole seconds, kept as openFor; absent by default', () => {
    const store = parseStore({ profiles: { a: { open: [1], open_for: 60 }, b: { open: [1] } } }, FILE);
    expect(store.profiles.get('a')!.openFor).toBe(60);
    expect(store.profiles.get('b')).not.toHaveProperty('openFor');
  });

  test('the first bad profile fails the whole store', () => {
    expect(() => parseStore({ profiles: { good: { open: [1] }, bad: { open: [0] } } }, FILE)).toThrow("profile 'bad'");
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
    expect(() => one(extra)).toThrow(ConfigError);
    expect(() => one(extra)).toThrow(message);
  });
});

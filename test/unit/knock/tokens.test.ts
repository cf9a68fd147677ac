import { ConfigError, UsageError } from '../../../src/shared/errors.js';
import { DEFAULT_ICMP_SIZE, formatKnock, MAX_ICMP_SIZE, parseKnockEntry, parseKnockToken } from '../../../src/knock/tokens.js';

describe('parseKnockToken', () => {
  test.each([
    ['7000', { protocol: 'tcp', port: 7000 }],
    ['1', { protocol: 'tcp', port: 1 }],
    ['65535', { protocol: 'tcp', port: 65535 }],
    ['7000:tcp', { protocol: 'tcp', port: 7000 }],
    ['8000:udp', { protocol: 'udp', port: 8000 }],
    ['8000:UDP', { protocol: 'udp', port: 8000 }],
    ['icmp', { protocol: 'icmp', size: DEFAULT_ICMP_SIZE }],
    ['ICMP', { protocol: 'icmp', size: DEFAULT_ICMP_SIZE }],
    ['icmp:64', { protocol: 'icmp', size: 64 }],
    ['icmp:0', { protocol: 'icmp', size: 0 }],
    [`icmp:${MAX_ICMP_SIZE}`, { protocol: 'icmp', size: MAX_ICMP_SIZE }],
    [' 9000 ', { protocol: 'tcp', port: 9000 }],
  ])('%j', (token, knock) => {
    expect(parseKnockToken(token)).toEqual(knock);
  });

  test('-u makes a bare port UDP; an explicit :tcp still wins', () => {
    expect(parseKnockToken('7000', 'udp')).toEqual({ protocol: 'udp', port: 7000 });
    expect(parseKnockToken('7000:tcp', 'udp')).toEqual({ protocol: 'tcp', port: 7000 });
    expect(parseKnockToken('icmp', 'udp')).toEqual({ protocol: 'icmp', size: DEFAULT_ICMP_SIZE });
  });

  test.each([
    ['0', /^port 0 is out of range \(1-65535\)$/],
    ['65536', /^port 65536 is out of range/],
    ['-1', /^port -1 is out of range/],
    ['65536:udp', /^port 65536 in '65536:udp' is out of range/],
    ['7000:sctp', /^unknown protocol 'sctp' in '7000:sctp' \(tcp, udp or icmp\)$/],
    ['7000:', /^unknown protocol '' in '7000:'/],
    ['7000:icmp', /^'7000:icmp': ICMP has no port/],
    ['foo', /^'foo' is not a knock \(expected PORT/],
    ['1.5', /^'1.5' is not a knock/],
    [':80', /^':80' is not a knock/],
    ['1e3', /^'1e3' is not a knock/],
    ['', /^'' is not a knock/],
    ['icmp:65508', /^ICMP size 65508 in 'icmp:65508' is out of range \(0-65507\)$/],
    ['icmp:-1', /^ICMP size -1 in 'icmp:-1' is out of range/],
    ['icmp:big', /^ICMP size 'big' in 'icmp:big' is not a number$/],
  ])('%j is a usage error naming it', (token, message) => {
    expect(() => parseKnockToken(token)).toThrow(UsageError);
    expect(() => parseKnockToken(token)).toThrow(message);
  });
});

describe('parseKnockEntry (profile sequences)', () => {
  const what = "config.yaml: profile 'a': open[1]";

  test('a number is a TCP port; a string is a token', () => {
    expect(parseKnockEntry(7000, what)).toEqual({ protocol: 'tcp', port: 7000 });
    expect(parseKnockEntry('8000:udp', what)).toEqual({ protocol: 'udp', port: 8000 });
    expect(parseKnockEntry('icmp:64', what)).toEqual({ protocol: 'icmp', size: 64 });
  });

  test('the object form, with its own delay', () => {
    expect(parseKnockEntry({ port: 8000, protocol: 'udp', delay: 500 }, what)).toEqual({ protocol: 'udp', port: 8000, delay: 500 });
    expect(parseKnockEntry({ port: 7000 }, what)).toEqual({ protocol: 'tcp', port: 7000 });
    expect(parseKnockEntry({ port: '7000', proto: 'TCP' }, what)).toEqual({ protocol: 'tcp', port: 7000 });
    expect(parseKnockEntry({ size: 100 }, what)).toEqual({ protocol: 'icmp', size: 100 });
    expect(parseKnockEntry({ protocol: 'icmp' }, what)).toEqual({ protocol: 'icmp', size: DEFAULT_ICMP_SIZE });
    expect(parseKnockEntry({ protocol: 'icmp', size: 8, delay: 0 }, what)).toEqual({ protocol: 'icmp', size: 8, delay: 0 });
  });

  test.each([
    [70000, "open[1]: port 70000 is out of range (1-65535)"],
    [0, 'open[1]: port 0 is out of range'],
    ['8000:sctp', "open[1]: unknown protocol 'sctp' in '8000:sctp'"],
    [true, 'open[1]: true is not a knock'],
    [[1], 'open[1]: [1] is not a knock'],
    [{ port: 8000, protocol: 'sctp' }, "open[1]: unknown protocol 'sctp'"],
    [{ port: 8000, delay: -1 }, 'open[1]: delay -1 must be a number of milliseconds from 0 to 3600000 (1 h)'],
    [{ port: 8000, delay: 'soon' }, 'open[1]: delay "soon" must be'],
    [{ port: 8000, colour: 'red' }, "open[1]: unknown key 'colour'"],
    [{ protocol: 'icmp', port: 1 }, 'open[1]: an ICMP knock has no port'],
    [{ protocol: 'icmp', size: 70000 }, 'open[1]: ICMP size 70000 is out of range'],
    [{ port: 8000, size: 3 }, 'open[1]: a tcp knock has no size'],
    [{ port: 'x' }, 'open[1]: port "x" is not a number'],
    [{ port: 1, protocol: 7 }, 'open[1]: protocol 7 is not a string'],
  ])('%j is a config error naming the profile and entry', (entry, message) => {
    expect(() => parseKnockEntry(entry, what)).toThrow(ConfigError);
    expect(() => parseKnockEntry(entry, what)).toThrow(`${"config.yaml: profile 'a': "}${message}`);
  });

  test('a config port message names the value once', () => {
    expect(() => parseKnockEntry(70000, what)).toThrow(`${what}: port 70000 is out of range (1-65535)`);
  });
});

test('formatKnock writes tokens that parse back to the same knock', () => {
  for (const token of ['7000', '8000:udp', 'icmp', 'icmp:64']) {
    expect(formatKnock(parseKnockToken(token))).toBe(token);
  }
  expect(formatKnock({ protocol: 'tcp', port: 22, delay: 5 })).toBe('22');
});

import { ConfigError, UsageError } from '../../../src/shared/errors.js';
import { checkPayload, checkTtl, DEFAULT_ICMP_SIZE, formatKnock, formatKnockInFull, MAX_ICMP_SIZE, MAX_UDP_PAYLOAD, parseKnockEntry, parseKnockToken, payloadBytes } from '../../../src/knock/tokens.js';
import { isPort, isTtl, parsePortText, storedKnock } from '../../../src/knock/tokens.js';

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
    ['icmp:1453', /^ICMP size 1453 in 'icmp:1453' is out of range \(0-1452: larger leaves as more than one packet on a 1500-byte MTU\)$/], ['icmp:1473', /out of range \(0-1452/], ['icmp:8000', /out of range \(0-1452/],
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

describe('PORT:connect and UDP payloads', () => {
  const what = "config.yaml: profile 'a': open[0]";
  test('7000:connect is a TCP knock that completes its handshake; it writes back as typed', () => {
    expect(parseKnockToken('7000:connect')).toEqual({ protocol: 'tcp', port: 7000, connect: true });
    expect(parseKnockToken('7000:CONNECT', 'udp')).toEqual({ protocol: 'tcp', port: 7000, connect: true });
    expect(formatKnock(parseKnockToken('7000:connect'))).toBe('7000:connect');
    expect(parseKnockEntry({ port: 7000, connect: true }, what)).toEqual({ protocol: 'tcp', port: 7000, connect: true });
    expect(parseKnockEntry({ port: 7000, connect: false }, what)).toEqual({ protocol: 'tcp', port: 7000 });
  });

  test('payloads: hex (any case, normalised) and text (UTF-8); the token hides them, the full form shows them', () => {
    const hex = parseKnockEntry({ port: 8000, protocol: 'udp', payload: 'hex:DEADbeef' }, what);
    expect(hex).toEqual({ protocol: 'udp', port: 8000, payload: 'hex:deadbeef' });
    expect(payloadBytes(checkPayload('hex:DEADbeef'))).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(payloadBytes(checkPayload('text:héllo'))).toEqual(Buffer.from('héllo', 'utf8'));
    expect(payloadBytes(checkPayload('text:'))).toEqual(Buffer.alloc(0));
    expect(payloadBytes(undefined)).toEqual(Buffer.of(0));
    expect(formatKnock(hex)).toBe('8000:udp');
    expect(formatKnockInFull(hex)).toBe('8000:udp(hex:deadbeef)');
    expect(checkPayload(`hex:${'00'.repeat(MAX_UDP_PAYLOAD)}`)).toHaveLength(4 + 2 * MAX_UDP_PAYLOAD);
  });

  test.each([
    [{ port: 8000, protocol: 'udp', payload: 'deadbeef' }, 'payload must start with hex: or text:'],
    [{ port: 8000, protocol: 'udp', payload: 'hex:abc' }, 'payload hex: needs pairs of hex digits'],
    [{ port: 8000, protocol: 'udp', payload: 'hex:zz' }, 'payload hex: needs pairs of hex digits'],
    [{ port: 8000, protocol: 'udp', payload: 7 }, 'payload 7 must be a string'],
    [{ port: 8000, protocol: 'udp', payload: `text:${'x'.repeat(MAX_UDP_PAYLOAD + 1)}` }, `payload of ${MAX_UDP_PAYLOAD + 1} bytes is too long for one packet`],
    [{ port: 8000, payload: 'hex:00' }, 'a tcp knock has no payload'],
    [{ size: 8, payload: 'hex:00' }, 'a icmp knock has no payload'],
    [{ port: 8000, protocol: 'udp', connect: true }, 'a udp knock has no handshake to complete'],
    [{ port: 8000, connect: 'yes' }, 'connect "yes" must be true or false'],
  ])('%j is refused', (entry, message) => {
    expect(() => parseKnockEntry(entry, what)).toThrow(ConfigError);
    expect(() => parseKnockEntry(entry, what)).toThrow(message);
  });

  test('TTLs are 1-255', () => {
    expect(checkTtl(1)).toBe(1);
    expect(checkTtl(255)).toBe(255);
    for (const bad of [0, 256, 1.5, '7', -1]) expect(() => checkTtl(bad)).toThrow(/out of range \(1-255\)/);
  });
});

describe('one rule for a port', () => {
  it('isPort: a whole number 1-65535, nothing else', () => {
    for (const ok of [1, 22, 65535]) expect(isPort(ok)).toBe(true);
    for (const bad of [0, 65536, -1, 22.5, NaN, Infinity, '22', null, undefined]) expect(isPort(bad)).toBe(false);
  });

  it("parsePortText: digits only, so Number()'s hex, exponents and blanks are not ports", () => {
    expect(parsePortText(' 22 ', '--wait:')).toBe(22);
    for (const bad of ['0x16', '1e1', '', ' ', '+22', '22.0', '0', '65536', '２２']) {
      expect(() => parsePortText(bad, '--wait:')).toThrow(`--wait: '${bad.trim()}' is not a port number (1-65535)`);
    }
  });
});

test('isTtl: a whole number 1-255, the one rule behind --ttl and a profile ttl', () => {
  for (const ok of [1, 64, 255]) expect(isTtl(ok)).toBe(true);
  for (const bad of [0, 256, 1.5, -1, NaN, '64', undefined]) expect(isTtl(bad)).toBe(false);
});

test('storedKnock: a bare TCP port as a number, everything else as its token (a connect knock too)', () => {
  expect(storedKnock(parseKnockToken('7000'))).toBe(7000);
  expect(storedKnock(parseKnockToken('7000:connect'))).toBe('7000:connect');
  expect(storedKnock(parseKnockToken('8000:udp'))).toBe('8000:udp');
  expect(storedKnock(parseKnockToken('icmp:64'))).toBe('icmp:64');
});

// The one reading of an IPv6 %zone: a name, or an index as getaddrinfo reads one, handed on by
// name; anything else refused in one line. Fake interfaces and indexes; nothing here is the machine's.
import { isIP } from 'node:net';
import { machineOf, scopedAddress, splitZone, type Machine } from '../../../src/shared/zone.js';
import { ConfigError } from '../../../src/shared/errors.js';

const v6 = (address: string, scopeid = 0) => ({ address, family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '', cidr: null, scopeid });
const interfaces = () =>
  ({
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
    eth0: [v6('fe80::a', 2), v6('2001:db8::a')],
    // An interface called by a number: its name wins over index 7.
    '7': [v6('fe80::7', 9)],
    'ktl-b': [v6('2001:db8::b')],
  }) as never;
const indexes: Record<string, number> = { lo: 1, eth0: 2, 'ktl-b': 4 };
const machine: Machine = { interfaces, indexOf: (name) => indexes[name] };

test.each([
  ['fe80::1%eth0', 'fe80::1%eth0'],
  ['fe80::1%2', 'fe80::1%eth0'],
  ['fe80::1%002', 'fe80::1%eth0'],
  ['fe80::1%1', 'fe80::1%lo'],
  ['fe80::1%4', 'fe80::1%ktl-b'],
  ['fe80::1%7', 'fe80::1%7'],
  ['FE80::1%2', 'FE80::1%eth0'],
  ['2001:db8::1', '2001:db8::1'],
  ['198.18.0.1', '198.18.0.1'],
  ['gw.example', 'gw.example'],
])('%s is knocked as %s', (address, expected) => {
  expect(scopedAddress(address, machine)).toBe(expected);
});

test('an index only a link-local address gives (no system index): found by its scope id', () => {
  const noIndex = machineOf(interfaces);
  expect(scopedAddress('fe80::1%2', noIndex)).toBe('fe80::1%eth0');
  expect(scopedAddress('fe80::1%9', noIndex)).toBe('fe80::1%7');
  // lo has no link-local address and no index here: by its name only.
  expect(() => scopedAddress('fe80::1%1', noIndex)).toThrow("no interface with index 1 on this machine (interfaces: 7 9, lo, eth0 2, ktl-b)");
});

test.each([
  ['fe80::1%3', /'fe80::1%3': no interface with index 3 on this machine \(interfaces: 7 9, lo 1, eth0 2, ktl-b 4\)/],
  // 2^32 + 2 is not index 2 (no 32-bit wrap); 2^32 - 1 is a valid index that nothing has here.
  ['fe80::1%4294967298', /no interface with index 4294967298/],
  ['fe80::1%4294967295', /no interface with index 4294967295/],
  ['fe80::1%0', /no interface with index 0/],
  ['fe80::1%', /'fe80::1%': an empty zone/],
  ['fe80::1%%', /no interface '%'/],
  ['fe80::1%eth9', /no interface 'eth9' on this machine \(interfaces: 7, lo, eth0, ktl-b\)/],
  ['fe80::1%\u0662', /no interface '\u0662'/],
  ['fe80::1%eth0\n', /no interface 'eth0\\n'/],
  ['fe80::1%2 ', /no interface '2 '/],
  ['fe80::1%+2', /no interface '\+2'/],
])('%j is refused in one line', (address, why) => {
  let error: unknown;
  try {
    scopedAddress(address, machine);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(why);
  expect((error as Error).message).not.toContain('\n');
});

test('splitZone: only an IPv6 address before the %', () => {
  expect(splitZone('fe80::1%eth0')).toEqual({ address: 'fe80::1', zone: 'eth0' });
  expect(splitZone('fe80::1%')).toEqual({ address: 'fe80::1', zone: '' });
  expect(splitZone('198.18.0.1%2')).toBeUndefined();
  expect(splitZone('host%2')).toBeUndefined();
  expect(splitZone('fe80::1')).toBeUndefined();
});

test('what is given on is an address Node takes, with the zone by name', () => {
  for (const zone of ['2', '02', '1', '4', 'eth0']) expect(isIP(scopedAddress(`fe80::1%${zone}`, machine))).toBe(6);
});

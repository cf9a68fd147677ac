import type os from 'node:os';
import { localSource } from '../../../src/knock/source.js';
import { machineOf } from '../../../src/shared/zone.js';

const info = (address: string, family: 'IPv4' | 'IPv6') => ({ address, family, netmask: '', mac: '', internal: false, cidr: null }) as os.NetworkInterfaceInfo;
const interfaces = () => ({
  lo: [info('127.0.0.1', 'IPv4'), info('::1', 'IPv6')],
  eth0: [info('fe80::1', 'IPv6'), info('198.18.0.1', 'IPv4'), info('2001:db8::1', 'IPv6')],
  wg0: [info('fe80::2', 'IPv6')],
});
const here = machineOf(interfaces);

test('an address of this machine is used as given; an interface gives its first address of the family', () => {
  expect(localSource('198.18.0.1', 4, here)).toBe('198.18.0.1');
  expect(localSource('[2001:DB8::1]', 6, here)).toBe('2001:DB8::1');
  expect(localSource('eth0', 4, here)).toBe('198.18.0.1');
  // Link-local skipped: it needs a scope, and a knock target is routed.
  expect(localSource('eth0', 6, here)).toBe('2001:db8::1');
});

test.each([
  ['203.0.113.5', 4, 'source 203.0.113.5 is not an address of this machine'],
  ['198.18.0.1', 6, 'source 198.18.0.1 is an IPv4 address, but the knocks go to an IPv6 address'],
  ['eth9', 4, "source 'eth9' is neither an IP address nor an interface of this machine (interfaces: lo, eth0, wg0)"],
  ['wg0', 6, 'interface wg0 has no IPv6 address to knock from (link-local ones are not used)'],
  ['wg0', 4, 'interface wg0 has no IPv4 address to knock from'],
] as const)('%s for IPv%d is refused: %s', (source, family, message) => {
  expect(() => localSource(source, family, here)).toThrow(message);
});

test('a link-local source with its zone: read as every zone is (name or index), and it must be that interface\'s own', () => {
  const machine = { interfaces, indexOf: (name: string) => ({ lo: 1, eth0: 2, wg0: 3 })[name] };
  expect(localSource('fe80::1%eth0', 6, machine)).toBe('fe80::1%eth0');
  expect(localSource('fe80::1%2', 6, machine)).toBe('fe80::1%eth0');
  expect(localSource('[fe80::2%3]', 6, machine)).toBe('fe80::2%wg0');
  expect(() => localSource('fe80::1%3', 6, machine)).toThrow('source fe80::1%wg0 is not an address of this machine');
  expect(() => localSource('fe80::1%9', 6, machine)).toThrow('no interface with index 9');
  expect(() => localSource('fe80::1%', 6, machine)).toThrow('an empty zone');
});

import { isIP } from 'node:net';
import fc from 'fast-check';
import { addressBytes, canonicalAddress, hostPort } from '../../../src/shared/address.js';

const groupsOf = (bytes: number[]) => Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!));

test('fuzz: every spelling of an IPv6 address (case, zero padding, ::, %zone) has one canonical form', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xab, 0xff), { minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, zone) => {
      const groups = groupsOf(bytes);
      const padded = groups.map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(':') + (zone ? '%eth0' : '');
      const plain = groups.map((g) => g.toString(16)).join(':');
      const canonical = canonicalAddress(plain);
      expect(canonicalAddress(padded)).toBe(canonical);
      expect(isIP(canonical)).toBeGreaterThan(0);
      // The same bytes (IPv4-mapped ones as their IPv4).
      const back = addressBytes(canonical);
      if (back.length === 16) expect([...back]).toEqual(bytes);
      else expect([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...back]).toEqual(bytes);
    }),
    { numRuns: 500, seed: 22 },
  );
});

test.each([
  ['2001:DB8:88:0:0::2', '2001:db8:88::2'],
  ['::ffff:198.18.88.2', '198.18.88.2'],
  ['fe80::1%eth0', 'fe80::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['not-an-address', 'not-an-address'],
])('canonicalAddress(%s) = %s', (given, expected) => {
  expect(canonicalAddress(given)).toBe(expected);
});

test('hostPort: IPv6 in brackets (with its zone), IPv4 and names as they are', () => {
  expect(hostPort('198.18.0.2', 22)).toBe('198.18.0.2:22');
  expect(hostPort('2001:db8::2', 22)).toBe('[2001:db8::2]:22');
  expect(hostPort('fe80::1%veth0', 7000)).toBe('[fe80::1%veth0]:7000');
  expect(hostPort('gate.example', 443)).toBe('gate.example:443');
});

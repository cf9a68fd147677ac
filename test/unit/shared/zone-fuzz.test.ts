// The zone reading under hostile input, by a seeded generator bounded by count: digits, leading
// zeros, 32-bit and 64-bit overflow (2^32 + an index that exists must not wrap onto it), '%'
// alone, '%%', unicode digits, signs, spaces, control characters and names. Each outcome is
// checked against what the zone's parts say, and every refusal is one bounded, printable line.
import { isIP } from 'node:net';
import { scopedAddress, splitZone, type Machine } from '../../../src/shared/zone.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { seeded } from '../../helpers/fakes.js';

const v6 = (address: string, scopeid = 0) => ({ address, family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '', cidr: null, scopeid });
const interfaces = () =>
  ({
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
    eth0: [v6('fe80::a', 2)],
    'ktl-b': [v6('fe80::b', 4)],
    // Named by a number: the name wins over the index 12 it would be.
    '12': [v6('fe80::c', 30)],
  }) as never;
const INDEX: Record<string, number> = { lo: 1, eth0: 2, 'ktl-b': 4, '12': 30 };
const machine: Machine = { interfaces, indexOf: (name) => INDEX[name] };
const NAMES = Object.keys(INDEX);
const BY_INDEX = new Map(Object.entries(INDEX).map(([name, i]) => [BigInt(i), name]));

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The interface a zone must name, by the rule as the README states it; undefined: refused. */
function expectedInterface(zone: string): string | undefined {
  if (NAMES.includes(zone)) return zone;
  if (!/^[0-9]+$/.test(zone)) return undefined;
  const value = BigInt(zone);
  return value <= 0xffffffffn ? BY_INDEX.get(value) : undefined;
}

function randomZone(random: () => number): string {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  const index = pick(['1', '2', '4', '12', '30', '3', '0']);
  const piece = () =>
    pick([
      () => index,
      () => '0'.repeat(1 + int(12)) + index, // leading zeros
      () => String(2n ** 32n + BigInt(index)), // wraps onto an index at 32 bits
      () => String(2n ** 64n + BigInt(index)), // and at 64
      () => String(2n ** 32n - 1n),
      () => digits(1 + int(25)),
      () => '',
      () => '%',
      () => '%%',
      () => pick(['\u0662', '\uff12', '\u00b2', '\u0969', '\u{1d7d0}']), // Arabic-Indic, fullwidth, superscript, Devanagari, math bold 2
      () => pick(['+', '-', ' ', '\t', '\n', '\0', '\u202e', '.', ':']),
      () => pick(NAMES),
      () => pick(['eth9', 'ETH0', 'lo0', 'ktl-', 'ktl-bb']),
    ])();
  // One piece most of the time (the plain cases), or two or three run together.
  const count = random() < 0.6 ? 1 : 2 + int(2);
  return Array.from({ length: count }, piece).join('');
}

test('fuzz (seed 2212, 3000 zones): each knocked through the interface its parts name, or refused in one clean line', () => {
  const random = seeded(2212);
  const outcomes = new Map<string, number>();
  const wrong: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const zone = randomZone(random);
    const prefix = ['fe80::1', 'FE80:0:0::1', 'fe80::abcd:1', '::ffff:198.18.0.1', '2001:db8::1'][i % 5]!;
    const host = `${prefix}%${zone}`;
    const expected = expectedInterface(zone);
    let got: string;
    try {
      const address = scopedAddress(host, machine);
      expect(isIP(address)).toBe(6);
      expect(splitZone(address)).toEqual({ address: prefix, zone: expect.any(String) });
      got = splitZone(address)!.zone;
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).not.toMatch(RAW_CONTROL);
      expect(message.length).toBeLessThan(300);
      got = 'refused';
    }
    if (got !== (expected ?? 'refused')) wrong.push(`${JSON.stringify(host)}: expected ${expected ?? 'refused'}, got ${got}`);
    const kind = expected === undefined ? 'refused' : expected === zone ? 'by name' : 'by index';
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
  }
  expect(wrong).toEqual([]);
  // The generator reaches every outcome often enough to prove something about each.
  for (const kind of ['refused', 'by name', 'by index']) expect([kind, (outcomes.get(kind) ?? 0) > 100]).toEqual([kind, true]);
});

test('an index past 32 bits never wraps onto an interface that exists', () => {
  for (const [name, index] of Object.entries(INDEX)) {
    for (const bits of [32n, 33n, 64n]) {
      const zone = String(2n ** bits + BigInt(index));
      expect(() => scopedAddress(`fe80::1%${zone}`, machine)).toThrow(`no interface with index ${zone}`);
    }
    if (name !== '12') expect(scopedAddress(`fe80::1%${'0'.repeat(30)}${index}`, machine)).toBe(`fe80::1%${name}`);
  }
});

// shared/ip.ts answers as Node's net.isIP/isIPv4/isIPv6 do, for written-out, compressed and
// mixed IPv6, IPv4 tails, zones, and strings one edit away from an address (a seeded generator,
// bounded by count), so that knock can leave net unloaded without a different answer anywhere.
import net from 'node:net';
import { isIP, isIPv4, isIPv6 } from '../../../src/shared/ip.js';
import { seeded } from '../../helpers/fakes.js';

const same = (text: string) => {
  expect([text, isIP(text), isIPv4(text), isIPv6(text)]).toEqual([text, net.isIP(text), net.isIPv4(text), net.isIPv6(text)]);
};

test.each([
  '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '١.2.3.4', '+1.2.3.4', '0x1.2.3.4',
  '::', ':::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2::3', ':1::', '1::2:',
  '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1.2.3.4::', '::1.2.3.4:1', '::01.2.3.4', 'fe80::1%eth0',
  'fe80::1%', 'fe80::1%%', 'fe80::1%a%b', 'fe80::1%a b', 'fe80::1%a-b.c:d', 'FE80::ABCD', '12345::', 'g::', '1.2.3.4%eth0', '', '%', '[::1]',
])('%j', same);

test('seeded strings near addresses (20000, bounded) answer as net does', () => {
  const random = seeded(18);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)]!;
  const hex = () => Array.from({ length: 1 + int(5) }, () => pick('0123456789abcdefABCDEFg'.split(''))).join('');
  const byte = () => pick(['0', '00', '1', '9', '10', '99', '100', '199', '249', '255', '256', '300', '01', '1000']);
  const v4 = () => Array.from({ length: pick([3, 4, 4, 4, 5]) }, byte).join('.');
  const v6 = () => {
    const groups = Array.from({ length: int(10) }, () => (random() < 0.1 ? v4() : hex()));
    if (random() < 0.6) groups.splice(int(groups.length + 1), 0, '');
    let text = groups.join(':');
    if (random() < 0.3) text = (random() < 0.5 ? ':' : '') + text + (random() < 0.5 ? ':' : '');
    if (random() < 0.2) text += '%' + pick(['', 'eth0', '1', 'a b', '%', 'ktl-b.0:1', 'é']);
    return text;
  };
  const edit = (text: string) => {
    const at = int(text.length + 1);
    return random() < 0.5 ? text.slice(0, at) + pick([':', '.', '%', '0', 'f', ' ', '::']) + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
  };
  let addresses = 0;
  for (let i = 0; i < 20000; i++) {
    let text = random() < 0.3 ? v4() : v6();
    if (random() < 0.3) text = edit(text);
    if (net.isIP(text)) addresses++;
    same(text);
  }
  // The check can fail both ways: the generator makes addresses as well as near misses.
  expect(addresses).toBeGreaterThan(500);
  expect(addresses).toBeLessThan(18000);
});

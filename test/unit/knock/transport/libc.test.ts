import { posixSocketCalls, sockaddr } from '../../../../src/knock/transport/libc.js';
import { addressBytes } from '../../../../src/shared/address.js';

test.each([
  ['198.18.0.2', 'c6120002'],
  ['::1', '00000000000000000000000000000001'],
  ['2001:db8:0:1::2', '20010db8000000010000000000000002'],
  ['fe80::1%eth0', 'fe800000000000000000000000000001'],
  ['::ffff:198.18.0.2', '00000000000000000000ffffc6120002'],
  ['2001:db8::', '20010db8000000000000000000000000'],
  ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
])('addressBytes(%s)', (address, hex) => {
  expect(addressBytes(address).toString('hex')).toBe(hex);
});

test('sockaddr_in / sockaddr_in6: Linux family first, macOS sin_len then family', () => {
  expect(sockaddr('linux', '198.18.0.2', 80).toString('hex')).toBe('02000050c61200020000000000000000');
  expect(sockaddr('darwin', '198.18.0.2', 80).toString('hex')).toBe('10020050c61200020000000000000000');
  expect(sockaddr('linux', '::1').toString('hex')).toBe('0a000000' + '00000000' + '0'.repeat(30) + '01' + '00000000');
  expect(sockaddr('darwin', '::1').subarray(0, 2).toString('hex')).toBe('1c1e');
});

test('no koffi (not installed, no binary): no socket calls, so ICMP falls back to ping and a TTL on TCP is refused', async () => {
  const missing = async () => {
    throw new Error("Cannot find package 'koffi'");
  };
  await expect(posixSocketCalls('linux', missing)).resolves.toBeUndefined();
  await expect(posixSocketCalls('win32')).resolves.toBeUndefined();
});

import { armTcp } from '../../../../src/knock/transport/tcp.js';
import type { SocketCalls } from '../../../../src/knock/transport/libc.js';

const to = { address: '198.18.0.2', family: 4 as const, ttl: 7 };

function calls(overrides: Partial<SocketCalls>): SocketCalls & { closed: number[] } {
  const closed: number[] = [];
  return {
    platform: 'linux',
    socket: () => -1,
    setsockoptInt: () => -1,
    bind: () => -1,
    sendto: () => -1,
    recvNow: () => -1,
    close: (fd) => (closed.push(fd), 0),
    errno: () => 22,
    ...overrides,
    closed,
  };
}

test('a TTL without socket calls (no koffi, or Windows) is refused while arming, before any packet', () => {
  expect(() => armTcp(7000, to)).toThrow('cannot set a TTL on TCP knocks here');
});

test('socket() or setsockopt(IP_TTL) failing is refused while arming, and the socket is closed', () => {
  expect(() => armTcp(7000, to, { calls: calls({}) })).toThrow('cannot open a TCP socket for a knock with TTL 7 (errno 22)');
  const c = calls({ socket: () => 1000 });
  expect(() => armTcp(7000, { ...to, family: 6, address: '2001:db8::2' }, { calls: c })).toThrow('cannot set TTL 7 on a TCP knock (errno 22)');
  expect(c.closed).toEqual([1000]);
});

import { echoRequest, IcmpSocketError, internetChecksum, openIcmpSocket, parseEchoReply, pingPayload } from '../../../../src/knock/transport/icmp-socket.js';
import { CONSTANTS, type SocketCalls } from '../../../../src/knock/transport/libc.js';

test('an echo request is byte for byte what iputils ping sent (captured: id 0x6216, seq 1, 8 data bytes)', () => {
  const packet = echoRequest(4, 0x6216, 1, pingPayload(8, 0));
  expect(packet.toString('hex')).toBe('080089d8621600010001020304050607');
  expect(internetChecksum(packet)).toBe(0);
});

test('ping data: a timeval (LE seconds, microseconds) when 16 bytes fit, then byte i = i', () => {
  const data = pingPayload(40, 1_700_000_000_123.456);
  expect(data.readBigInt64LE(0)).toBe(1_700_000_000n);
  expect(data.readBigInt64LE(8)).toBe(123_456n);
  expect([...data.subarray(16)]).toEqual(Array.from({ length: 24 }, (_, i) => i + 16));
  expect(pingPayload(0, 0).length).toBe(0);
  expect([...pingPayload(300, 0).subarray(255, 258)]).toEqual([255, 0, 1]);
});

test('IPv4 checksums verify for odd and even sizes; ICMPv6 is type 128 with the checksum left to the kernel', () => {
  for (const size of [0, 1, 7, 56, 1001]) expect(internetChecksum(echoRequest(4, 0xbeef, 1, pingPayload(size, 5)))).toBe(0);
  const v6 = echoRequest(6, 0x1234, 1, pingPayload(8, 0));
  expect([v6[0], v6[1], v6.readUInt16BE(2), v6.readUInt16BE(4), v6.readUInt16BE(6)]).toEqual([128, 0, 0, 0x1234, 1]);
});

test('replies are recognised with or without the IPv4 header, and nothing else is', () => {
  const reply = Buffer.from(echoRequest(4, 7, 1, Buffer.alloc(4)));
  reply[0] = 0;
  expect(parseEchoReply(4, reply)).toEqual({ identifier: 7, sequence: 1 });
  const withHeader = Buffer.concat([Buffer.from([0x45, ...Array(19).fill(0)]), reply]);
  expect(parseEchoReply(4, withHeader)).toEqual({ identifier: 7, sequence: 1 });
  expect(parseEchoReply(4, echoRequest(4, 7, 1, Buffer.alloc(4)))).toBeUndefined();
  const v6 = echoRequest(6, 9, 1, Buffer.alloc(0));
  v6[0] = 129;
  expect(parseEchoReply(6, v6)).toEqual({ identifier: 9, sequence: 1 });
  expect(parseEchoReply(6, Buffer.alloc(3))).toBeUndefined();
});

/** Records every call; `deny` lists socket types that fail with errno. */
function fakeCalls(platform: 'linux' | 'darwin', deny: number[] = [], errno = 13) {
  const log: unknown[][] = [];
  const replies: Buffer[] = [];
  const calls: SocketCalls = {
    platform,
    socket: (d, t, p) => (log.push(['socket', d, t, p]), deny.includes(t & 0xf) ? -1 : 5),
    setsockoptInt: (fd, l, n, v) => (log.push(['setsockopt', fd, l, n, v]), 0),
    bind: (fd, a) => (log.push(['bind', fd, a.toString('hex')]), 0),
    sendto: (fd, data, a) => (log.push(['sendto', fd, data.length, a.toString('hex')]), data.length),
    recvNow: (_fd, into) => {
      const next = replies.shift();
      if (!next) return -1;
      next.copy(into);
      return next.length;
    },
    close: (fd) => (log.push(['close', fd]), 0),
    errno: () => errno,
  };
  return { calls, log, replies };
}

test('Linux: a datagram socket first; where refused (ping_group_range), a raw one; TTL and source set before the deadline', () => {
  const { calls, log } = fakeCalls('linux', [2]);
  const socket = openIcmpSocket(calls, { address: '198.18.0.2', family: 4, ttl: 7, source: '198.18.0.11' }, 56, process.pid);
  expect(socket.kind).toBe('raw');
  expect(log).toEqual([
    ['socket', 2, 2 | CONSTANTS.linux.SOCK_CLOEXEC, 1],
    ['socket', 2, 3 | CONSTANTS.linux.SOCK_CLOEXEC, 1],
    ['setsockopt', 5, 0, 2, 7],
    ['bind', 5, '02000000c612000b0000000000000000'],
  ]);
  expect(socket.send()).toBeUndefined();
  expect(log.at(-1)).toEqual(['sendto', 5, 64, '02000000c6120002' + '0'.repeat(16)]);
  socket.close();
  socket.close();
  expect(log.filter((l) => l[0] === 'close')).toHaveLength(1);
});

test('macOS: an unprivileged datagram socket, its own AF_INET6, IPV6_UNICAST_HOPS and sin6_len', () => {
  const { calls, log } = fakeCalls('darwin');
  const socket = openIcmpSocket(calls, { address: '2001:db8::2', family: 6, ttl: 3 }, 8, process.pid);
  expect(socket.kind).toBe('datagram');
  expect(log).toEqual([
    ['socket', 30, 2, 58],
    ['setsockopt', 5, 41, 4, 3],
  ]);
  socket.send();
  const sent = log.at(-1)!;
  expect(sent[2]).toBe(16);
  expect(String(sent[3]).slice(0, 4)).toBe('1c1e');
  expect(String(sent[3]).slice(16, 48)).toBe('20010db8000000000000000000000002');
});

test('no socket of either kind: an error with the errno (the caller falls back to ping)', () => {
  const { calls } = fakeCalls('linux', [2, 3], 1);
  expect(() => openIcmpSocket(calls, { address: '198.18.0.2', family: 4 }, 56, process.pid)).toThrow('cannot open an ICMP socket (errno 1)');
});

test('a raw socket takes only the reply with our identifier (the pid given, as ping\'s is its own) and sequence', () => {
  const { calls, replies } = fakeCalls('linux', [2]);
  const socket = openIcmpSocket(calls, { address: '198.18.0.2', family: 4 }, 8, 0x14242);
  expect(socket.replied()).toBe(false);
  socket.send();
  const other = Buffer.from(echoRequest(4, process.pid & 0xffff, 1, Buffer.alloc(8)));
  other[0] = 0;
  const ours = Buffer.from(echoRequest(4, 0x4242, 1, Buffer.alloc(8)));
  ours[0] = 0;
  replies.push(other);
  expect(socket.replied()).toBe(false);
  replies.push(other, ours);
  expect(socket.replied()).toBe(true);
});

test('a flood of other ICMP on a raw socket: each poll reads a bounded number of packets', () => {
  const { calls } = fakeCalls('linux', [2]);
  let reads = 0;
  const noise = Buffer.from(echoRequest(4, 1, 99, Buffer.alloc(8)));
  noise[0] = 0;
  calls.recvNow = (_fd, into) => (reads++, noise.copy(into), noise.length);
  const socket = openIcmpSocket(calls, { address: '198.18.0.2', family: 4 }, 8, process.pid);
  socket.send();
  expect(socket.replied()).toBe(false);
  expect(reads).toBe(64);
});

test("a link-local address's zone goes in as the interface's index (sin6_scope_id), for the source too; a zone whose interface is gone: no socket", () => {
  const { calls, log } = fakeCalls('linux');
  calls.ifIndex = (name) => ({ eth0: 2, wg0: 0x01020304 })[name] ?? 0;
  const socket = openIcmpSocket(calls, { address: 'fe80::2%wg0', family: 6, source: 'fe80::1%eth0' }, 8, 1);
  const bound = log.find((l) => l[0] === 'bind')![2] as string;
  expect(bound.slice(48)).toBe('02000000');
  socket.send();
  const to = log.find((l) => l[0] === 'sendto')![3] as string;
  expect(to.slice(16, 48)).toBe('fe800000000000000000000000000002');
  expect(to.slice(48)).toBe('04030201');
  socket.close();
  expect(() => openIcmpSocket(calls, { address: 'fe80::2%gone0', family: 6 }, 8, 1)).toThrow(IcmpSocketError);
  expect(log.filter((l) => l[0] === 'close')).toHaveLength(2);
  // No zone: scope 0, as before.
  const plain = fakeCalls('linux');
  plain.calls.ifIndex = () => 99;
  openIcmpSocket(plain.calls, { address: '2001:db8::2', family: 6 }, 8, 1).send();
  expect((plain.log.find((l) => l[0] === 'sendto')![3] as string).slice(48)).toBe('00000000');
});

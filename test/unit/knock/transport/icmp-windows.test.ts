import { ERROR_IO_PENDING, ipAddr, openWindowsEcho, windowsPingPayload, winSockaddrIn6, type WinEchoRequest, type WinIcmpCalls } from '../../../../src/knock/transport/icmp-windows.js';

function fakeWin(overrides: Partial<WinIcmpCalls> = {}) {
  const requests: WinEchoRequest[] = [];
  const closed: string[] = [];
  let signalled = false;
  const calls: WinIcmpCalls = {
    createFile: (family) => (family === 6 ? 66n : 44n),
    createEvent: () => 'event',
    sendEcho: (r) => (requests.push(r), 0),
    lastError: () => ERROR_IO_PENDING,
    signalled: () => signalled,
    parseReplies: () => 1,
    closeIcmp: () => void closed.push('icmp'),
    closeEvent: () => void closed.push('event'),
    ...overrides,
  };
  return { calls, requests, closed, signal: () => (signalled = true) };
}

test('IPv4: IcmpSendEcho2Ex with Windows ping data, the TTL in IP_OPTION_INFORMATION, the source as IPAddr', () => {
  const { calls, requests, closed, signal } = fakeWin();
  const echo = openWindowsEcho(calls, { address: '198.18.0.2', family: 4, ttl: 9, source: '198.18.0.11' }, 32);
  expect(requests).toHaveLength(0);
  expect(echo.send()).toBeUndefined();
  const r = requests[0]!;
  expect([r.family, r.handle, r.event, r.destination, r.source, r.timeoutMs]).toEqual([4, 44n, 'event', ipAddr('198.18.0.2'), ipAddr('198.18.0.11'), 1000]);
  expect(ipAddr('198.18.0.2')).toBe(0x020012c6);
  expect(r.data.toString()).toBe('abcdefghijklmnopqrstuvwabcdefghi');
  expect(r.options[0]).toBe(9);
  expect(r.reply.length).toBeGreaterThanOrEqual(32 + 28);
  expect(echo.replied()).toBe(false);
  signal();
  expect(echo.replied()).toBe(true);
  echo.close();
  echo.close();
  expect(closed).toEqual(['icmp', 'event']);
});

test("IPv6: Icmp6SendEcho2 with sockaddr_in6 (AF_INET6 = 23); no TTL asked is Windows ping's 128", () => {
  const { calls, requests } = fakeWin();
  openWindowsEcho(calls, { address: '2001:db8::2', family: 6 }, 0).send();
  const r = requests[0]!;
  expect(r.family).toBe(6);
  expect(r.handle).toBe(66n);
  expect((r.destination as Buffer).toString('hex')).toBe(winSockaddrIn6('2001:db8::2').toString('hex'));
  expect((r.destination as Buffer).readUInt16LE(0)).toBe(23);
  expect((r.source as Buffer).subarray(8, 24).equals(Buffer.alloc(16))).toBe(true);
  expect(r.options[0]).toBe(128);
});

test('a failed send gives its error; a handle that cannot be made throws (the caller falls back to ping)', () => {
  expect(openWindowsEcho(fakeWin({ lastError: () => 1231 }).calls, { address: '198.18.0.2', family: 4 }, 8).send()).toBe(1231);
  expect(() => openWindowsEcho(fakeWin({ createFile: () => -1 }).calls, { address: '198.18.0.2', family: 4 }, 8)).toThrow(/IcmpCreateFile failed/);
});

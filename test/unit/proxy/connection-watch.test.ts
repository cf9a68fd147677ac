import net from 'node:net';
import { aliveInNetstat, aliveInProcNet, procAddress, waitForConnectionEnd } from '../../../src/proxy/connection-watch.js';
import { connectionIdOf, isConnectionId, type ConnectionId } from '../../../src/proxy/connection-id.js';

const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const line = (local: string, remote: string, state: string, inode: number) =>
  `   7: ${local} ${remote} ${state} 00000000:00000000 02:000AFC7F 00000000     0        0 ${inode} 2 0000000000000000 20 4 30 10 -1\n`;

const v4: ConnectionId = { local: '198.18.0.1', localPort: 41234, remote: '198.18.0.2', remotePort: 22, inode: 822670 };

describe('/proc/net/tcp{,6} (Linux)', () => {
  test('addresses as the kernel prints them, on either byte order', () => {
    expect(procAddress('127.0.0.1', 22977, true)).toBe('0100007F:59C1');
    expect(procAddress('127.0.0.1', 22977, false)).toBe('7F000001:59C1');
    expect(procAddress('2001:db8:0:1::2', 22, true)).toBe('B80D0120010000000000000002000000:0016');
    expect(procAddress('::ffff:198.18.0.2', 22, true)).toBe('0000000000000000FFFF0000020012C6:0016');
  });

  const table = (state: string, inode: number, c = v4) => header + line(procAddress(c.local, c.localPort, true), procAddress(c.remote, c.remotePort, true), state, inode);

  test('alive while the line is there with our inode; ended when gone, at inode 0, or another socket on the 4-tuple', () => {
    expect(aliveInProcNet(v4, [table('01', 822670), ''], true)).toBe(true);
    // CLOSE_WAIT: the server has closed, ssh still holds the socket (and will close it).
    expect(aliveInProcNet(v4, [table('08', 822670)], true)).toBe(true);
    expect(aliveInProcNet(v4, [header, header], true)).toBe(false);
    // FIN_WAIT / TIME_WAIT after ssh closed it or died: no process holds it.
    expect(aliveInProcNet(v4, [table('04', 0)], true)).toBe(false);
    expect(aliveInProcNet(v4, [table('01', 999)], true)).toBe(false);
    // Another connection from another port: not ours.
    expect(aliveInProcNet(v4, [table('01', 822670, { ...v4, localPort: 41235 })], true)).toBe(false);
  });

  test('IPv6, and IPv4 on an IPv6 socket (tcp6, ::ffff:)', () => {
    const v6: ConnectionId = { local: '2001:db8:0:1::1', localPort: 50000, remote: '2001:db8:0:1::2', remotePort: 22, inode: 5 };
    expect(aliveInProcNet(v6, ['', table('01', 5, v6)], true)).toBe(true);
    const mapped = header + line(procAddress('::ffff:198.18.0.1', 41234, true), procAddress('::ffff:198.18.0.2', 22, true), '01', 822670);
    expect(aliveInProcNet(v4, ['', mapped], true)).toBe(true);
  });

  test('polls until the connection has ended, then returns', async () => {
    let reads = 0;
    const sleeps: number[] = [];
    await waitForConnectionEnd(v4, {
      platform: 'linux',
      readTable: async (file) => {
        if (file.endsWith('tcp')) reads++;
        const live = header + line(procAddress(v4.local, v4.localPort), procAddress(v4.remote, v4.remotePort), '01', 822670);
        return file.endsWith('tcp6') ? '' : reads < 3 ? live : header;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(reads).toBe(3);
    expect(sleeps).toEqual([500, 500]);
  });

  test('an unreadable table counts as ended: the door is closed rather than left open', async () => {
    await expect(waitForConnectionEnd(v4, { platform: 'linux', readTable: async () => { throw new Error('EACCES'); }, sleep: async () => {} })).resolves.toBeUndefined();
  });
});

describe('netstat -n -p tcp (macOS)', () => {
  const netstat = (local: string, remote: string, state: string) =>
    `Active Internet connections\nProto Recv-Q Send-Q  Local Address          Foreign Address        (state)\ntcp4       0      0  ${local}     ${remote}         ${state}\ntcp4       0      0  *.22                   *.*                    LISTEN\n`;

  test('alive in ESTABLISHED or CLOSE_WAIT; ended once closing or gone', () => {
    expect(aliveInNetstat(v4, netstat('198.18.0.1.41234', '198.18.0.2.22', 'ESTABLISHED'))).toBe(true);
    expect(aliveInNetstat(v4, netstat('198.18.0.1.41234', '198.18.0.2.22', 'CLOSE_WAIT'))).toBe(true);
    for (const state of ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'LAST_ACK']) expect(aliveInNetstat(v4, netstat('198.18.0.1.41234', '198.18.0.2.22', state))).toBe(false);
    expect(aliveInNetstat(v4, netstat('198.18.0.1.41235', '198.18.0.2.22', 'ESTABLISHED'))).toBe(false);
    expect(aliveInNetstat(v4, '')).toBe(false);
  });

  test('IPv6 as netstat spells it (compressed, with a scope)', () => {
    const v6: ConnectionId = { local: 'fe80::1', localPort: 50000, remote: 'fe80:0:0:0:0:0:0:2', remotePort: 22 };
    expect(aliveInNetstat(v6, netstat('fe80::1%lo0.50000', 'fe80::2%lo0.22', 'ESTABLISHED').replace(/tcp4/, 'tcp6'))).toBe(true);
  });

  test('the darwin path asks netstat, every second', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    await waitForConnectionEnd(v4, {
      platform: 'darwin',
      netstat: async () => (++calls < 2 ? netstat('198.18.0.1.41234', '198.18.0.2.22', 'ESTABLISHED') : netstat('198.18.0.1.41234', '198.18.0.2.22', 'TIME_WAIT')),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(calls).toBe(2);
    expect(sleeps).toEqual([1000]);
  });
});

test('the id of a real connection names its 4-tuple and inode; ids from the pipe are checked', async () => {
  const server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const id = connectionIdOf(socket);
  socket.destroy();
  server.close();
  expect(id).toMatchObject({ local: '127.0.0.1', remote: '127.0.0.1', remotePort: port });
  if (process.platform === 'linux') expect(id.inode).toBeGreaterThan(0);
  expect(isConnectionId(id)).toBe(true);
  expect(isConnectionId({ ...id, remotePort: 70000 })).toBe(false);
  expect(isConnectionId({ ...id, inode: -1 })).toBe(false);
  expect(isConnectionId(null)).toBe(false);
});

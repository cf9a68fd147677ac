import net from 'node:net';
import { jest } from '@jest/globals';
import { connectWhenReady, formatSeconds, NotReadyError, waitForPorts } from '../../../src/knock/ready.js';
import { hostPort } from '../../../src/shared/address.js';

/** A connect that fails with `code` for the first `failures` attempts, then connects to `port`. */
function flakyConnect(failures: number, code: string) {
  const seen: net.NetConnectOpts[] = [];
  const connect = (options: net.NetConnectOpts) => {
    seen.push(options);
    if (seen.length <= failures) {
      const socket = new net.Socket();
      process.nextTick(() => socket.emit('error', Object.assign(new Error(`connect ${code}`), { code })));
      return socket;
    }
    return net.connect(options);
  };
  return { connect, seen };
}

let server: net.Server;
let port: number;
beforeAll(async () => {
  server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

test('retries refused connects until the port accepts, always to the one address, never a name', async () => {
  const { connect, seen } = flakyConnect(3, 'ECONNREFUSED');
  const retries: string[] = [];
  const socket = await connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 5000, connect, onRetry: (_n, why) => retries.push(why) });
  socket.destroy();
  expect(seen).toHaveLength(4);
  for (const o of seen) expect(o).toMatchObject({ host: '127.0.0.1', port, family: 4, autoSelectFamily: false, allowHalfOpen: true });
  expect(retries).toEqual(['connect ECONNREFUSED', 'connect ECONNREFUSED', 'connect ECONNREFUSED']);
});

test('gives up when the window closes, with the last reason', async () => {
  const { connect } = flakyConnect(1000, 'EHOSTUNREACH');
  const error = await connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 300, connect }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotReadyError);
  expect((error as Error).message).toBe(`connect to 127.0.0.1:${port} failed after 0.3 s: connect EHOSTUNREACH`);
  expect((error as NotReadyError).reason).toBe('connect EHOSTUNREACH');
});

test('waitForPorts names the port that did not open', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await expect(waitForPorts({ address: '127.0.0.1', family: 4 }, [port, closedPort], 300)).rejects.toThrow(
    new RegExp(`^127\\.0\\.0\\.1:${closedPort} did not accept a connection within 0\\.3 s: .*ECONNREFUSED`),
  );
});

test('formatting', () => {
  expect(hostPort('2001:db8::2', 22)).toBe('[2001:db8::2]:22');
  expect(hostPort('198.18.0.2', 22)).toBe('198.18.0.2:22');
  expect(formatSeconds(10000)).toBe('10 s');
  expect(formatSeconds(1500)).toBe('1.5 s');
});

/** A connect whose attempts never get an answer (a firewall that drops): records when each began. */
function silentConnect() {
  const started: number[] = [];
  const sockets: net.Socket[] = [];
  const connect = () => {
    started.push(Date.now());
    const socket = new net.Socket();
    sockets.push(socket);
    return socket;
  };
  return { connect, started, sockets };
}

// The attempts' timers and the window run on jest's fake clock (Date.now and setTimeout), so
// the schedule is exact whatever else the machine is doing.
describe('on the fake clock', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  test('unanswered attempts wait 50, 100, 200, 400 ms ... each, never long enough for a SYN retransmit', async () => {
    const { connect, started, sockets } = silentConnect();
    const t0 = Date.now();
    const result = connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 1600, connect }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1600);
    expect(await result).toMatchObject({ message: expect.stringMatching(/no answer \(ETIMEDOUT\)/) });
    const gaps = started.map((t, i) => (i === 0 ? t - t0 : t - started[i - 1]!));
    // Starts at 0, +50, +100, +200, +400, +800 (the window ends during the sixth).
    expect(started).toHaveLength(6);
    expect(gaps).toEqual([0, 50, 100, 200, 400, 800]);
    for (const s of sockets) expect(s.destroyed).toBe(true);
  });

  test('an abort stops at once: the attempt in flight is dropped and no other starts', async () => {
    const { connect, started, sockets } = silentConnect();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('ssh is gone')), 120);
    const result = connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 5000, connect, signal: controller.signal }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(120);
    expect(await result).toMatchObject({ message: 'ssh is gone' });
    const n = started.length;
    await jest.advanceTimersByTimeAsync(5000);
    expect(started).toHaveLength(n);
    expect(n).toBe(2);
    for (const s of sockets) expect(s.destroyed).toBe(true);
  });
});

test('noRead: the connection is handed over unread (paused before it connects)', async () => {
  const banner = net.createServer((s) => s.on('error', () => {}).end('SSH-2.0-test\r\n'));
  await new Promise<void>((r) => banner.listen(0, '127.0.0.1', r));
  const p = (banner.address() as net.AddressInfo).port;
  const socket = await connectWhenReady({ address: '127.0.0.1', family: 4 }, p, { windowMs: 1000, noRead: true });
  await new Promise((r) => setTimeout(r, 100));
  expect(socket.readableLength).toBe(0);
  expect(socket.bytesRead).toBe(0);
  socket.destroy();
  banner.close();
});

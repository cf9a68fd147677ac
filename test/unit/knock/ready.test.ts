import net from 'node:net';
import { once } from 'node:events';
import { connectWhenReady, formatSeconds, NotReadyError, waitForPorts } from '../../../src/knock/ready.js';
import { hostPort } from '../../../src/shared/address.js';
import { FakeClock, settle } from '../../helpers/fakes.js';

// Every attempt's limit, pause and window runs on the FakeClock: a timer fires only when the
// test moves the clock, so the schedule is exact whatever else the machine is doing, and no
// attempt to a real listener is ever cut short by a slow turn of the event loop.

/**
 * A connect that fails with `code` for the first `failures` attempts, then connects (a socket
 * that says 'connect' on the next tick: no real I/O, so runUntil's clock cannot race it).
 */
function flakyConnect(failures: number, code: string) {
  const seen: net.NetConnectOpts[] = [];
  const connect = (options: net.NetConnectOpts) => {
    seen.push(options);
    const socket = new net.Socket();
    if (seen.length <= failures) process.nextTick(() => socket.emit('error', Object.assign(new Error(`connect ${code}`), { code })));
    else process.nextTick(() => socket.emit('connect'));
    return socket;
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
  const clock = new FakeClock();
  const { connect, seen } = flakyConnect(3, 'ECONNREFUSED');
  const retries: string[] = [];
  const socket = await clock.runUntil(connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 5000, connect, timers: clock, onRetry: (_n, why) => retries.push(why) }));
  socket.destroy();
  expect(seen).toHaveLength(4);
  for (const o of seen) expect(o).toMatchObject({ host: '127.0.0.1', port, family: 4, autoSelectFamily: false, allowHalfOpen: true });
  expect(retries).toEqual(['connect ECONNREFUSED', 'connect ECONNREFUSED', 'connect ECONNREFUSED']);
  // Refused at once: paused 20, 40, 80 ms before asking again; no limit left running.
  expect(clock.pending()).toBe(0);
});

test('a real listener: the first attempt connects', async () => {
  const clock = new FakeClock();
  // The clock never moves: only the listener's answer can end this.
  const socket = await connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 50, timers: clock });
  expect(socket.remotePort).toBe(port);
  socket.destroy();
  expect(clock.pending()).toBe(0);
});

test('aborted while a refusal is reported (ssh found gone then): no pause, no further attempt', async () => {
  const clock = new FakeClock();
  const { connect, seen } = flakyConnect(1000, 'ECONNREFUSED');
  const controller = new AbortController();
  const t0 = clock.nowMs();
  const error = await clock
    .runUntil(connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 5000, connect, timers: clock, signal: controller.signal, onRetry: () => controller.abort(new Error('ssh is gone')) }))
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ message: 'ssh is gone' });
  expect(seen).toHaveLength(1);
  // Not the 20 ms pause a refusal is otherwise followed by.
  expect(clock.nowMs() - t0).toBe(0);
  expect(clock.pending()).toBe(0);
});

test('gives up when the window closes, with the last reason', async () => {
  const clock = new FakeClock();
  const { connect } = flakyConnect(1000, 'EHOSTUNREACH');
  const error = await clock.runUntil(connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 300, connect, timers: clock })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotReadyError);
  expect((error as Error).message).toBe(`connect to 127.0.0.1:${port} failed after 0.3 s: connect EHOSTUNREACH`);
  expect((error as NotReadyError).reason).toBe('connect EHOSTUNREACH');
});

test('waitForPorts names the port that did not open', async () => {
  const clock = new FakeClock();
  const closedPort = port + 1;
  const tried: number[] = [];
  const connect = (options: net.NetConnectOpts) => {
    const p = (options as net.TcpNetConnectOpts).port;
    tried.push(p);
    const socket = new net.Socket();
    if (p === closedPort) process.nextTick(() => socket.emit('error', Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${p}`), { code: 'ECONNREFUSED' })));
    else process.nextTick(() => socket.emit('connect'));
    return socket;
  };
  await expect(clock.runUntil(waitForPorts({ address: '127.0.0.1', family: 4 }, [port, closedPort], 300, { connect, timers: clock }))).rejects.toThrow(
    new RegExp(`^127\\.0\\.0\\.1:${closedPort} did not accept a connection within 0\\.3 s: .*ECONNREFUSED`),
  );
  expect(tried[0]).toBe(port);
  expect(tried.slice(1).every((p) => p === closedPort)).toBe(true);
  expect(tried.length).toBeGreaterThan(2);
});

test('formatting', () => {
  expect(hostPort('2001:db8::2', 22)).toBe('[2001:db8::2]:22');
  expect(hostPort('198.18.0.2', 22)).toBe('198.18.0.2:22');
  expect(formatSeconds(10000)).toBe('10 s');
  expect(formatSeconds(1500)).toBe('1.5 s');
});

/** A connect whose attempts never get an answer (a firewall that drops): records when each began. */
function silentConnect(clock: FakeClock) {
  const started: number[] = [];
  const sockets: net.Socket[] = [];
  const connect = () => {
    started.push(clock.nowMs());
    const socket = new net.Socket();
    sockets.push(socket);
    return socket;
  };
  return { connect, started, sockets };
}

test('unanswered attempts wait 50, 100, 200, 400 ms ... each, never long enough for a SYN retransmit', async () => {
  const clock = new FakeClock();
  const { connect, started, sockets } = silentConnect(clock);
  const t0 = clock.nowMs();
  const error = await clock.runUntil(connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 1600, connect, timers: clock })).catch((e: unknown) => e);
  expect(error).toMatchObject({ message: expect.stringMatching(/no answer \(ETIMEDOUT\)/) });
  const gaps = started.map((t, i) => (i === 0 ? t - t0 : t - started[i - 1]!));
  // Starts at 0, +50, +100, +200, +400, +800 (the window ends during the sixth).
  expect(started).toHaveLength(6);
  expect(gaps).toEqual([0, 50, 100, 200, 400, 800]);
  expect(clock.nowMs() - t0).toBe(1600);
  for (const s of sockets) expect(s.destroyed).toBe(true);
});

test('an abort stops at once: the attempt in flight is dropped and no other starts', async () => {
  const clock = new FakeClock();
  const { connect, started, sockets } = silentConnect(clock);
  const controller = new AbortController();
  clock.setTimer(() => controller.abort(new Error('ssh is gone')), 120);
  const result = await clock.runUntil(connectWhenReady({ address: '127.0.0.1', family: 4 }, port, { windowMs: 5000, connect, signal: controller.signal, timers: clock })).catch((e: unknown) => e);
  expect(result).toMatchObject({ message: 'ssh is gone' });
  // Attempts began at 0 and 50; the one begun at 50 (limit 100 ms) was dropped at 120, and
  // nothing is left to start another.
  expect(started).toHaveLength(2);
  expect(clock.pending()).toBe(0);
  await clock.pass(5000);
  expect(started).toHaveLength(2);
  for (const s of sockets) expect(s.destroyed).toBe(true);
});

test('noRead: the connection is handed over unread (paused before it connects)', async () => {
  const written: Promise<unknown>[] = [];
  const banner = net.createServer((s) => {
    s.on('error', () => {});
    written.push(new Promise((r) => s.end('SSH-2.0-test\r\n', () => r(undefined))));
  });
  await new Promise<void>((r) => banner.listen(0, '127.0.0.1', r));
  const p = (banner.address() as net.AddressInfo).port;
  const clock = new FakeClock();
  const socket = await connectWhenReady({ address: '127.0.0.1', family: 4 }, p, { windowMs: 1000, noRead: true, timers: clock });
  // A control beside it, read as usual: its banner arriving shows the bytes were there to read.
  const control = await connectWhenReady({ address: '127.0.0.1', family: 4 }, p, { windowMs: 1000, timers: clock });
  const controlRead = once(control, 'data');
  await controlRead;
  await Promise.all(written);
  await settle();
  expect(socket.readableLength).toBe(0);
  expect(socket.bytesRead).toBe(0);
  // Handed over, the same bytes come out whole.
  socket.resume();
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('SSH-2.0-test\r\n');
  socket.destroy();
  control.destroy();
  await new Promise((r) => banner.close(r));
});

// connectFirstReady: happy eyeballs over a dual-stack host's addresses, already resolved.
import net from 'node:net';
import { connectFirstReady, NotReadyError, waitForPortsAny } from '../../../src/knock/ready.js';
import { FakeClock } from '../../helpers/fakes.js';

// The stagger, the attempts' limits and the window run on the FakeClock: a real connect to the
// loopback listener is never cut short by a slow turn of the event loop, and a stagger starts
// the next family only when the test moves the clock.

let server: net.Server;
let port: number;
beforeAll(async () => {
  server = net.createServer((s) => {
    s.on('error', () => {});
    s.end('banner\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

/** Connects for real to 127.0.0.1; to the silent address, a socket that never answers (a DROP). */
function routed(silent: string, refused?: string) {
  const made: { host: string; socket: net.Socket }[] = [];
  const connect = (options: net.NetConnectOpts) => {
    const host = (options as net.TcpNetConnectOpts).host!;
    let socket: net.Socket;
    if (host === silent) socket = new net.Socket();
    else if (host === refused) {
      socket = new net.Socket();
      process.nextTick(() => socket.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    } else socket = net.connect({ ...options, host: '127.0.0.1', family: 4 } as net.NetConnectOpts);
    made.push({ host, socket });
    return socket;
  };
  return { connect, made };
}

test('the first family does not answer (its door guards the other): the other wins, every attempt to the first dropped', async () => {
  const { connect, made } = routed('2001:db8::2');
  const started: string[] = [];
  const clock = new FakeClock();
  const racing = connectFirstReady(
    [
      { address: '2001:db8::2', family: 6 },
      { address: '198.18.0.2', family: 4 },
    ],
    port,
    { windowMs: 5000, connect, staggerMs: 20, timers: clock, onStart: (d) => started.push(d.address) },
  );
  await clock.pass(0);
  expect(started).toEqual(['2001:db8::2']);
  // The stagger's end (before the first attempt's 50 ms limit) starts the other family.
  await clock.pass(20);
  const { socket, to } = await racing;
  socket.destroy();
  expect(to).toEqual({ address: '198.18.0.2', family: 4 });
  expect(started).toEqual(['2001:db8::2', '198.18.0.2']);
  const silent = made.filter((m) => m.host === '2001:db8::2');
  expect(silent.length).toBeGreaterThanOrEqual(1);
  expect(silent.every((m) => m.socket.destroyed)).toBe(true);
});

test('a refused first family starts the next at once, not after the stagger', async () => {
  const { connect } = routed('none', '2001:db8::2');
  // A stagger and window far past jest's timeout: only the refusal can start the second family.
  const { socket, to } = await connectFirstReady(
    [
      { address: '2001:db8::2', family: 6 },
      { address: '198.18.0.2', family: 4 },
    ],
    port,
    // The clock never moves: only the refusal can start the second family.
    { windowMs: 600_000, connect, staggerMs: 600_000, timers: new FakeClock() },
  );
  socket.destroy();
  expect(to.family).toBe(4);
});

test('both connect: one wins, the other is closed, and only one socket is left open', async () => {
  const { connect, made } = routed('none');
  const clock = new FakeClock();
  const racing = connectFirstReady(
    [
      { address: '198.18.0.2', family: 4 },
      { address: '2001:db8::2', family: 6 },
    ],
    port,
    { windowMs: 5000, connect, staggerMs: 0, timers: clock },
  );
  await clock.pass(0);
  const { socket, to } = await racing;
  expect(['198.18.0.2', '2001:db8::2']).toContain(to.address);
  const open = made.filter((m) => !m.socket.destroyed);
  expect(open.map((m) => m.socket)).toEqual([socket]);
  socket.destroy();
});

test('every family fails: the first address is named', async () => {
  const { connect } = routed('2001:db8::2', '198.18.0.2');
  const clock = new FakeClock();
  const error = await clock
    .runUntil(
      connectFirstReady(
        [
          { address: '2001:db8::2', family: 6 },
          { address: '198.18.0.2', family: 4 },
        ],
        port,
        { windowMs: 300, connect, staggerMs: 10, timers: clock },
      ),
    )
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotReadyError);
  expect((error as Error).message).toMatch(/^connect to \[2001:db8::2\]:\d+ failed after 0\.3 s: no answer/);
});

test('an abort stops both families, and no socket is left', async () => {
  const { connect, made } = routed('2001:db8::2', 'x');
  const abort = new AbortController();
  const racing = connectFirstReady(
    [
      { address: '2001:db8::2', family: 6 },
      { address: '198.18.0.3', family: 4 },
    ],
    port,
    { windowMs: 5000, connect: (o) => (o as net.TcpNetConnectOpts).host === '198.18.0.3' ? connect({ ...o, host: '2001:db8::2' } as net.NetConnectOpts) : connect(o), staggerMs: 0, signal: abort.signal, timers: new FakeClock() },
  );
  setImmediate(() => abort.abort(new Error('ssh went away')));
  await expect(racing).rejects.toThrow('ssh went away');
  expect(made.length).toBeGreaterThan(0);
  expect(made.every((m) => m.socket.destroyed)).toBe(true);
});

test('waitForPortsAny: names the address that accepted', async () => {
  const won = await waitForPortsAny([{ address: '127.0.0.1', family: 4 }], [port], 2000, { timers: new FakeClock() });
  expect(won.address).toBe('127.0.0.1');
});

// knock proxy in fd-pass mode on loopback, with Node's own IPC channel standing in for ssh:
// fd 0 and fd 1 are one socket, the proxy passes the connection over it and exits, the
// watchdog waits for that connection to end before it knocks the door shut. Real ssh does
// the same in netns-ssh-fdpass.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { KNOCK_BIN, ROOT, TempHome, watchdogsOf } from '../helpers/run-knock.js';
import { closedPort, listen } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';


let home: TempHome;
let closeHits: number;
let closeServer: Server;
let closePort: number;

beforeAll(() => {
  home = new TempHome();
});
afterAll(() => home.cleanup());
beforeEach(async () => {
  closeHits = 0;
  ({ port: closePort, server: closeServer } = await listen((s) => {
    closeHits++;
    s.destroy();
  }));
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${await closedPort()}, ${await closedPort()}]\n    close: [${closePort}]\n    delay: 5\n`);
});
afterEach(() => closeServer.close());

/** The close watchdogs of this test's HOME still running. */
const watchdogs = (): number[] => watchdogsOf(home.dir);

/** The proxy with one socket as stdin and stdout, as ssh's ProxyUseFdpass gives it. */
function spawnFdPass(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn('sh', ['-c', 'unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; exec "$0" "$@" 1<&0', process.execPath, KNOCK_BIN, ...args], {
    env,
    cwd: ROOT,
    stdio: ['ipc', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, stderr: () => stderr, exited };
}

test('passes the connection unread and exits; the close knock waits until the connection ends', async () => {
  const { port, server } = await listen((s) => {
    s.on('error', () => {});
    s.write('banner\n');
  });
  const { child, stderr, exited } = spawnFdPass(['proxy', 'lo', String(port), '-v'], home.env);
  const passed = new Promise<Socket>((resolve) => child.once('message', (_m, handle) => resolve(handle as Socket)));
  child.on('error', () => {});
  const socket = await passed;
  // The server's first bytes arrive here: the proxy read none of them.
  const first = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
  expect(first).toBe('banner\n');
  expect(await exited).toBe(0);
  expect(stderr()).toMatch(/^proxy: ssh takes the socket \(ProxyUseFdpass\)/m);
  expect(stderr()).toMatch(/^proxy: connection passed to ssh/m);
  // No close knock while the connection lives: a window (a bound, not a timed assertion),
  // live because the watchdog is there at its end, still watching.
  expect(watchdogs()).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 1500));
  expect(watchdogs()).toHaveLength(1);
  expect(closeHits).toBe(0);
  socket.destroy();
  expect(await until(() => closeHits > 0, 5000)).toBe(true);
  // Exactly one: once the watchdog has exited it can send no more, and a sentinel connection
  // taken after its knock's shows the listener has taken all that came before.
  expect(await until(() => watchdogs().length === 0, 10000)).toBe(true);
  const hits = closeHits;
  const sentinel = netConnect(closePort, '127.0.0.1').on('error', () => {});
  expect(await until(() => closeHits > hits, 5000)).toBe(true);
  sentinel.destroy();
  expect(closeHits).toBe(2);
  server.close();
});

test('a Node that cannot pass a socket relays instead, and -v says so', async () => {
  const { port, server } = await listen((s) => s.on('error', () => {}));
  const env = { ...home.env, NODE_OPTIONS: `--require ${path.join(ROOT, 'test', 'fixtures', 'no-fork-child.cjs')}` };
  const { child, stderr, exited } = spawnFdPass(['proxy', 'lo', String(port), '-v'], env);
  child.on('error', () => {});
  expect(await until(() => /proxy: connected to /.test(stderr()), 5000)).toBe(true);
  expect(stderr()).toMatch(/^proxy: ssh wants the socket passed \(ProxyUseFdpass\), but this Node \(v[\d.]+\) has no IPC channel to pass a socket with: relaying instead$/m);
  child.kill('SIGHUP');
  await exited;
  expect(await until(() => closeHits > 0, 5000)).toBe(true);
  server.close();
});

// libuv's handles as knock uses them (shared/handles.ts), against real loopback peers: what a
// connect says (refused, accepted, refused at once), what a listener does for its waiters
// (connections held open until it closes, its path gone after), and a failed listen worded as
// net words the same failure.
import net from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveHandles, isRefused, statusCode, tcpConnect, unixListen } from '../../../src/shared/handles.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-handles-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listening = async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};

test('the bindings are there on this node (else every test below would pass by net)', () => {
  expect(haveHandles()).toBe(true);
});

test('a connect to a closed loopback port is refused (the kernel RST), told once', async () => {
  const server = await listening();
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const statuses: number[] = [];
  const told = new Promise<void>((resolve) => {
    const attempt = tcpConnect({ address: '127.0.0.1', family: 4 }, port, (status) => {
      statuses.push(status);
      attempt!.close();
      resolve();
    });
    expect(attempt!.refused).toBeUndefined();
  });
  await told;
  expect(statuses.length).toBe(1);
  expect(isRefused(statuses[0]!)).toBe(true);
  expect(statusCode(statuses[0]!)).toBe('ECONNREFUSED');
  // isRefused reads the errno, not libuv's table: the two agree, and no other status is refused.
  expect(statuses[0]).toBe((process as unknown as { binding(name: string): { UV_ECONNREFUSED: number } }).binding('uv').UV_ECONNREFUSED);
  expect(isRefused(-os.constants.errno.ETIMEDOUT)).toBe(false);
  expect(isRefused(-os.constants.errno.ECONNRESET)).toBe(false);
});

test('a connect to a listening port is accepted (status 0), and the peer sees it', async () => {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const status = await new Promise<number>((resolve) => {
    const attempt = tcpConnect({ address: '::1', family: 6 }, port, (s) => {
      attempt!.close();
      resolve(s);
    });
  });
  expect(status).toBe(0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  expect(accepted).toBe(1);
});

test('a connect the kernel refuses within the call (255.255.255.255, a source not ours) says so at once, and nothing is told later', async () => {
  const told: number[] = [];
  const broadcast = tcpConnect({ address: '255.255.255.255', family: 4 }, 9, (s) => told.push(s));
  expect(broadcast!.refused).toBeDefined();
  expect(statusCode(broadcast!.refused!)).toBe('ENETUNREACH');
  const source = tcpConnect({ address: '127.0.0.1', family: 4, source: '192.0.2.1' }, 9, (s) => told.push(s));
  expect(statusCode(source!.refused!)).toBe('EADDRNOTAVAIL');
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(told).toEqual([]);
});

test('a listener holds its waiters until it closes; its path goes with it', async () => {
  const file = path.join(dir, 'a.sock');
  const made = unixListen(file);
  if (!made || 'error' in made) throw new Error('no listener');
  const waiter = net.connect(file);
  await new Promise<void>((resolve) => waiter.once('connect', () => resolve()));
  let closed = false;
  waiter.on('close', () => (closed = true));
  // Still held a while later: nothing closes it but the listener.
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(closed).toBe(false);
  const gone = new Promise<void>((resolve) => waiter.once('close', () => resolve()));
  made.listener.close();
  await gone;
  expect(existsSync(file)).toBe(false);
  // A connect now is refused: nobody listens (the path is gone: ENOENT).
  const probe = net.connect(file);
  const code = await new Promise<string | undefined>((resolve) => probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code)));
  expect(code).toBe('ENOENT');
});

test('a listen that fails is worded as net words it', async () => {
  const file = path.join(dir, 'missing', 'b.sock');
  const made = unixListen(file);
  if (!made || !('error' in made)) throw new Error('expected a failure');
  const byNet = await new Promise<NodeJS.ErrnoException>((resolve) => {
    const server = net.createServer();
    server.once('error', resolve);
    server.listen(file);
  });
  expect([made.error.message, made.error.code, made.error.syscall]).toEqual([byNet.message, byNet.code, byNet.syscall]);
  // A path already taken: EADDRINUSE, as net says it.
  const taken = path.join(dir, 'c.sock');
  const first = unixListen(taken);
  const second = unixListen(taken);
  expect(second && 'error' in second ? second.error.code : undefined).toBe('EADDRINUSE');
  if (first && 'listener' in first) first.listener.close();
});

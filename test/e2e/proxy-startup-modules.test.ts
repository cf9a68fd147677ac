// What `knock proxy` evaluates in fd-pass mode, where every millisecond before its exit is one
// ssh waits: the proxy's side of the watchdog (start it, feed it), never the watchdog's own side
// (reading its plan, polling the connection table), nor the relay or other commands' code; and
// no builtin it does not use. The same readable bundle as startup-modules.test.ts (identifiers kept, so that
// V8's coverage names each module's initialiser), with Node's IPC channel standing in for ssh.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TempHome, watchdogsOf } from '../helpers/run-knock.js';
import { closedPort, listen } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';

let dir: string;
let readable: string;
let home: TempHome;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-proxy-modules-'));
  readable = path.join(dir, 'dist');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--readable', readable], { cwd: ROOT, stdio: 'ignore' });
  // bin/ beside that dist/, so that the proxy starts its watchdog from the same build.
  const bin = path.join(dir, 'bin');
  execFileSync('mkdir', [bin]);
  for (const file of ['knock', 'knock-watchdog', 'package.json']) copyFileSync(path.join(ROOT, 'bin', file), path.join(bin, file));
  writeFileSync(
    path.join(dir, 'trace.cjs'),
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.KNOCK_TRACE, JSON.stringify(process.moduleLoadList)));\n",
  );
  home = new TempHome();
}, 120000);
afterAll(() => {
  home.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('knock proxy (fd-pass) evaluates its side of the watchdog only, no other command, and no crypto', async () => {
  let closed = 0;
  const closer = await listen((s) => {
    closed++;
    s.destroy();
  });
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${await closedPort()}]\n    close: [${(closer.server.address() as net.AddressInfo).port}]\n`);
  const { port, server } = await listen((s) => s.on('error', () => {}));
  const coverage = mkdtempSync(path.join(dir, 'coverage-'));
  const trace = path.join(dir, 'modules.json');
  // fd 0 and fd 1 one socket, as ssh's ProxyUseFdpass gives them; only the proxy's own coverage.
  const child = spawn(
    'sh',
    ['-c', 'unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; exec "$0" "$@" 1<&0', process.execPath, '-r', path.join(dir, 'trace.cjs'), path.join(dir, 'bin', 'knock'), 'proxy', 'lo', String(port)],
    { env: { ...home.env, NODE_V8_COVERAGE: coverage, KNOCK_TRACE: trace }, stdio: ['ipc', 'ignore', 'pipe'] },
  );
  child.stderr!.resume();
  const passed = new Promise<net.Socket>((resolve) => child.once('message', (_m, handle) => resolve(handle as net.Socket)));
  const socket = await passed;
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);

  // The proxy's own coverage (sh exec'd node: the same pid); the watchdog writes its own later.
  const scripts = readdirSync(coverage).filter((file) => file.startsWith(`coverage-${child.pid}-`)).flatMap(
    (file) => (JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] }).result,
  );
  const modules = scripts
    .filter((script) => script.url.endsWith('knock-fast.cjs'))
    .flatMap((script) => script.functions.filter((f) => f.ranges[0]!.count > 0 && /^(src|node_modules)\//.test(f.functionName)).map((f) => f.functionName));
  // The check can fail: the proxy's modules are named.
  expect(modules).toContain('src/proxy/session.ts');
  expect(modules).toContain('src/proxy/watchdog.ts');
  expect(modules).toContain('src/proxy/connection-id.ts');
  // (The default command's module, src/commands/knock.ts, is the command line's: yargs builds it
  // for every line. What is asked here is what the proxy itself brings in.)
  const unneeded = modules.filter((m) =>
    /^src\/proxy\/(watchdog-run|connection-watch|relay)\.ts|^src\/(rules|serve|knockd)\/|^src\/commands\/(?!proxy|knock|command|index|options)|^src\/store\/(write|edit)|^src\/app\/writable-store|^src\/ssh\/(host-block|config-file)/.test(m),
  );
  expect(unneeded).toEqual([]);
  const builtins = (JSON.parse(readFileSync(trace, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  expect(builtins).toContain('child_process');
  // (fs/promises does come, with the store's one-time lists: not the proxy's to spare.)
  for (const never of ['crypto', 'zlib', 'http', 'https', 'worker_threads']) expect(builtins).not.toContain(never);

  // The session ends; the watchdog closes the door, and has exited (its coverage written into
  // this directory) before the directory goes: on a loaded machine its exit comes well after
  // the close knock.
  socket.destroy();
  expect(await until(() => closed > 0, 10000)).toBe(true);
  expect(await until(() => watchdogsOf(home.dir).length === 0, 10000)).toBe(true);
  server.close();
  closer.server.close();
}, 60000);

// The Context hands the process down from its Io: the system sequence lock is made where the
// Io's environment and temp directory say, never where the test process's own would.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Context } from '../../../src/app/context.js';
import { startWatchdog } from '../../../src/proxy/watchdog.js';
import { fakeIo } from '../../helpers/fakes.js';

const to = { address: '198.18.0.2', family: 4 as const };

test("the system lock goes under the Io's $XDG_RUNTIME_DIR", async () => {
  const io = fakeIo();
  try {
    const runtime = path.join(io.homedir, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    io.env.XDG_RUNTIME_DIR = runtime;
    const { lock } = new Context(io, {}).executeOptions();
    const release = await lock.acquire(to);
    expect(readdirSync(path.join(runtime, 'knock'))).toEqual(['198.18.0.2.lock']);
    release();
    expect(readdirSync(path.join(runtime, 'knock'))).toEqual([]);
  } finally {
    io.cleanup();
  }
});

test("without one, under the Io's temp directory, named after the Io's uid", async () => {
  const io = fakeIo({ uid: process.getuid?.() });
  try {
    const release = await new Context(io, {}).executeOptions().lock.acquire(to);
    expect(existsSync(path.join(io.tmpdir, `knock-${io.uid}`, '198.18.0.2.lock'))).toBe(true);
    release();
  } finally {
    io.cleanup();
  }
});

test("the close watchdog inherits the environment it is given, without NODE_EXTRA_CA_CERTS", () => {
  const calls: { command: string; env: NodeJS.ProcessEnv }[] = [];
  const spawn = ((command: string, _args: string[], options: { env: NodeJS.ProcessEnv }) => {
    calls.push({ command, env: options.env });
    return { on() {}, unref() {}, stdin: null, stdio: [], pid: 7 };
  }) as never;
  const plan = { action: 'close' as const, target: 'd', host: 'd', address: '198.18.0.2', family: 4 as const, knocks: [] };
  startWatchdog(plan, { self: { node: '/usr/bin/node', script: '/nowhere/knock' }, spawn, platform: 'linux', env: { PATH: '/given', NODE_EXTRA_CA_CERTS: '/ca.pem' } });
  expect(calls).toEqual([{ command: '/bin/sh', env: { PATH: '/given' } }]);
});

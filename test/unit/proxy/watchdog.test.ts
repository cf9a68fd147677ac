import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { RuntimeError } from '../../../src/shared/errors.js';
import type { KnockPlan } from '../../../src/knock/plan.js';
import type { Transport } from '../../../src/knock/transport/transport.js';
import { parseWatchdogInput, parseWatchdogPlan, runWatchdog } from '../../../src/proxy/watchdog-run.js';
import { watchdogArgs, WATCHDOG_COMMAND } from '../../../src/proxy/watchdog.js';
import { procAddress } from '../../../src/proxy/connection-watch.js';
import { FakeClock, FakeLock, settle } from '../../helpers/fakes.js';
import { until } from '../../helpers/until.js';

const plan: KnockPlan = {
  action: 'close',
  profile: 'door',
  target: 'door',
  host: 'door.example',
  address: '198.18.0.2',
  family: 4,
  knocks: [{ protocol: 'tcp', port: 3333, offsetMs: 0 }],
};

function fakeTransport(fired: string[]): Transport {
  return {
    async arm(knock, to) {
      return {
        cancel() {},
        fire() {
          fired.push(`${to.address} ${knock.protocol === 'icmp' ? 'icmp' : knock.port}`);
          return { sent: Promise.resolve(), outcome: Promise.resolve({ result: 'refused' as const }) };
        },
      };
    },
  };
}

test('sends the close plan only at EOF, to the address it was given (no resolving)', async () => {
  const fired: string[] = [];
  const stdin = new PassThrough();
  const lines: string[] = [];
  const done = runWatchdog({ stdin, debug: (l: string) => lines.push(l), execute: { transport: fakeTransport(fired), lock: new FakeLock() } });
  // The event: the watchdog has read the whole plan (its listener came first), and sends nothing.
  const read = once(stdin, 'data');
  stdin.write(JSON.stringify(plan) + '\n');
  await read;
  await settle();
  expect(fired).toEqual([]);
  stdin.end();
  expect(await done).toBe(0);
  expect(fired).toEqual(['198.18.0.2 3333']);
  expect(lines).toEqual(['close knock 1/1 3333 -> 198.18.0.2: refused']);
});

test('a broken pipe counts as EOF', async () => {
  const fired: string[] = [];
  const stdin = new PassThrough();
  const done = runWatchdog({ stdin, execute: { transport: fakeTransport(fired), lock: new FakeLock() } });
  const read = once(stdin, 'data');
  stdin.write(JSON.stringify(plan) + '\n');
  await read;
  stdin.destroy(new Error('EPIPE'));
  await done;
  expect(fired).toHaveLength(1);
});

test('a plan that is not one is refused', () => {
  expect(() => parseWatchdogPlan('nope')).toThrow(RuntimeError);
  expect(() => parseWatchdogPlan('{"address":"x"}')).toThrow('watchdog: the plan lacks address, family or knocks');
});

test('a pipe that ends before the plan arrived sends nothing, and says why', async () => {
  const fired: string[] = [];
  const stdin = new PassThrough();
  const done = runWatchdog({ stdin, execute: { transport: fakeTransport(fired), lock: new FakeLock() } });
  stdin.end();
  await expect(done).rejects.toThrow('watchdog: the plan is not JSON');
  expect(fired).toEqual([]);
});

test('runs the small entry beside knock when present, else the hidden command; the plan (a secret) is never an argument', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-wd-'));
  try {
    const script = path.join(dir, 'knock');
    writeFileSync(script, '');
    const self = { node: '/usr/bin/node', script };
    expect(watchdogArgs(self)).toEqual([script, WATCHDOG_COMMAND]);
    writeFileSync(path.join(dir, 'knock-watchdog'), '');
    expect(watchdogArgs(self)).toEqual([path.join(dir, 'knock-watchdog')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with a connection named after the plan, the close waits for that connection to end', async () => {
  const fired: string[] = [];
  const stdin = new PassThrough();
  let alive = true;
  let reads = 0;
  const clock = new FakeClock();
  const live = () => (alive ? `  sl\n   0: ${procAddress('198.18.0.1', 40000)} ${procAddress('198.18.0.2', 22)} 01 0:0 0:0 0 0 0 77 1\n` : '');
  const done = runWatchdog({
    stdin,
    execute: { transport: fakeTransport(fired), lock: new FakeLock() },
    // The poll's sleep on the fake clock; a turn of the event loop in between, no real wait.
    watch: {
      platform: 'linux',
      readTable: async () => (reads++, live()),
      sleep: async (ms) => {
        await clock.sleep(ms);
        await new Promise((r) => setImmediate(r));
      },
    },
  });
  stdin.write(JSON.stringify(plan) + '\n' + JSON.stringify({ watch: { local: '198.18.0.1', localPort: 40000, remote: '198.18.0.2', remotePort: 22, inode: 77 } }) + '\n');
  // The proxy has exited (EOF), but ssh holds the connection: no close knock yet.
  stdin.end();
  // The event: the watch has read the table three times and seen the connection each time.
  expect(await until(() => reads >= 3)).toBe(true);
  expect(fired).toEqual([]);
  expect(clock.sleeps.length).toBeGreaterThanOrEqual(2);
  alive = false;
  expect(await done).toBe(0);
  expect(fired).toEqual(['198.18.0.2 3333']);
});

test('a connection line cut short (the proxy killed while writing it) means: knock now', () => {
  const input = JSON.stringify(plan) + '\n{"watch":{"local":"198.18.0.1","localPo';
  expect(parseWatchdogInput(input)).toEqual({ plan });
});

test('a dual-stack close: every family in turn, each sequence whole before the next starts', async () => {
  const v6: KnockPlan = { ...plan, address: '2001:db8::2', family: 6, knocks: [{ protocol: 'tcp', port: 3333, offsetMs: 0 }, { protocol: 'tcp', port: 4444, offsetMs: 0 }] };
  const v4: KnockPlan = { ...plan, knocks: [{ protocol: 'tcp', port: 3333, offsetMs: 0 }, { protocol: 'tcp', port: 4444, offsetMs: 0 }] };
  const fired: string[] = [];
  const stdin = new PassThrough();
  const done = runWatchdog({ stdin, execute: { transport: fakeTransport(fired), lock: new FakeLock() } });
  stdin.end(JSON.stringify([v6, v4]) + '\n');
  expect(await done).toBe(0);
  // Interleaved (6, 4, 6, 4), knockd 0.8 would drop the second family's attempt.
  expect(fired).toEqual(['2001:db8::2 3333', '2001:db8::2 4444', '198.18.0.2 3333', '198.18.0.2 4444']);
  expect(parseWatchdogInput(JSON.stringify([v6, v4]))).toEqual({ plan: v6, then: [v4] });
  expect(() => parseWatchdogInput(JSON.stringify([]))).toThrow(RuntimeError);
  expect(() => parseWatchdogInput(JSON.stringify([v6, v4, v4]))).toThrow(RuntimeError);
});

import type { ActionRequest } from '../../../src/serve/actions.js';
import type { Door, DoorKnock } from '../../../src/serve/doors.js';
import { RuntimeError } from '../../../src/shared/errors.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServeSession, type ServeConfig, type ServeDeps, type ServeEvent } from '../../../src/serve/session.js';
import { thisProcess } from '../../helpers/fakes.js';
import { claimOneTime } from '../../../src/store/one-time.js';

/** Fakes for every side effect: sockets, wall clock, timers, commands. */
function fakes(options: { failPort?: number } = {}) {
  const listeners = new Map<string, (src: string) => void>();
  const closed: string[] = [];
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const actions: { request: ActionRequest; finish: (code: number) => void; released: boolean }[] = [];
  let now = 1_700_000_000_000;
  /** Every one-time claim the session started: the real claim (on a temporary file), watched. */
  const claims: Promise<unknown>[] = [];
  const deps: ServeDeps = {
    wallMs: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, cancelled: false };
      timers.push(t);
      return () => (t.cancelled = true);
    },
    listenKnock: async (k: DoorKnock, _host, onKnock) => {
      if (k.port === options.failPort) throw new RuntimeError(`cannot listen on ${k.proto} port ${k.port}`);
      const key = `${k.proto}/${k.port}`;
      listeners.set(key, onKnock);
      return { close: async () => void closed.push(key) };
    },
    startGuard: async (_spec, _host, _isAllowed) => ({ close: async () => void closed.push('guard') }),
    runAction: (request) => {
      let finish!: (code: number) => void;
      const exit = new Promise<number>((r) => (finish = r));
      const entry = { request, finish, released: false };
      actions.push(entry);
      return { exit, release: () => (entry.released = true) };
    },
    claimOneTime: (file, trust, holder) => {
      const claim = claimOneTime(file, trust, holder);
      claims.push(claim.catch(() => {}));
      return claim;
    },
  };
  return {
    deps,
    listeners,
    closed,
    actions,
    claims,
    knock: (key: string, src: string) => listeners.get(key)!(src),
    /** Advance the fake clock, firing due timers in order. */
    advance: async (ms: number) => {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        due.cancelled = true;
        due.fn();
        await Promise.resolve();
      }
      now = end;
    },
    tick: () => new Promise((r) => setImmediate(r)),
  };
}

const tcp = (port: number) => ({ proto: 'tcp' as const, port });
const openDoor: Door = { name: 'open', kind: 'open', seqTimeout: 5, sequence: [tcp(7000), { proto: 'udp', port: 8000 }, tcp(9000)] };
const closeDoor: Door = { name: 'close', kind: 'close', seqTimeout: 5, sequence: [tcp(9000), tcp(7000)] };

function session(config: Partial<ServeConfig>, f: ReturnType<typeof fakes>) {
  const events: ServeEvent[] = [];
  const warnings: string[] = [];
  const output: string[] = [];
  const s = new ServeSession({ doors: [openDoor, closeDoor], bind: '127.0.0.1', env: { PATH: '/bin' }, trust: { uid: process.getuid!(), home: '/' }, holder: thisProcess, ...config }, f.deps, (e) => events.push(e), (w) => warnings.push(w), (l) => output.push(l));
  return { s, events, warnings, output, kinds: () => events.map((e) => e.event) };
}

describe('ServeSession', () => {
  test('listens once per protocol/port, reports listening, runs --on-open with %IP%, lets the guard through until close', async () => {
    const f = fakes();
    const { s, events, kinds } = session({ onOpen: 'allow %IP%', onClose: 'deny %IP%', guard: { port: 2222, targetHost: '127.0.0.1', targetPort: 22 } }, f);
    await s.start();
    expect([...f.listeners.keys()]).toEqual(['tcp/7000', 'udp/8000', 'tcp/9000']);
    expect(events[0]).toMatchObject({ event: 'listening', bind: '127.0.0.1', ports: ['tcp/7000', 'udp/8000', 'tcp/9000'], guard: '2222 -> 127.0.0.1:22' });
    expect(events[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT/);

    f.knock('tcp/7000', '10.1.1.1');
    f.knock('udp/8000', '10.1.1.1');
    expect(s.isAllowed('10.1.1.1')).toBe(false);
    f.knock('tcp/9000', '10.1.1.1');
    expect(s.isAllowed('10.1.1.1')).toBe(true);
    expect(s.isAllowed('10.1.1.2')).toBe(false);
    expect(f.actions.map((a) => a.request.command)).toEqual(['allow 10.1.1.1']);
    expect(f.actions[0]!.request.env).toMatchObject({ KNOCK_IP: '10.1.1.1', KNOCK_DOOR: 'open', PATH: '/bin' });
    f.actions[0]!.finish(0);
    await f.tick();
    expect(events.at(-1)).toMatchObject({ event: 'command', src: '10.1.1.1', door: 'open', action: 'on-open', command: 'allow 10.1.1.1', code: 0 });

    f.knock('tcp/9000', '10.1.1.1');
    f.knock('tcp/7000', '10.1.1.1');
    expect(s.isAllowed('10.1.1.1')).toBe(false);
    expect(f.actions.map((a) => a.request.command)).toEqual(['allow 10.1.1.1', 'deny 10.1.1.1']);
    expect(kinds()).toEqual(['listening', 'knock', 'knock', 'knock', 'open', 'command', 'knock', 'knock', 'close']);
    await s.stop();
    expect(f.closed.sort()).toEqual(['guard', 'tcp/7000', 'tcp/9000', 'udp/8000']);
    expect(f.actions[1]!.released).toBe(true);
  });

  test('a timeout is reported without a further knock, at the whole-second boundary', async () => {
    const f = fakes();
    const { s, events } = session({}, f);
    await s.start();
    f.knock('tcp/7000', '10.1.1.1');
    await f.advance(4000);
    expect(events.map((e) => e.event)).toEqual(['listening', 'knock']);
    await f.advance(1000);
    expect(events.at(-1)).toMatchObject({ event: 'reset', src: '10.1.1.1', door: 'open', stage: 1, reason: 'timeout' });
    await s.stop();
  });

  test("knockd.conf commands: command on completion, stop_command cmd_timeout s after it finished, which closes the guard", async () => {
    const f = fakes();
    const door: Door = { name: 'openSSH', kind: 'open', seqTimeout: 5, sequence: [tcp(7000), tcp(8000)], command: 'add %IP%', stopCommand: 'del %IP%', cmdTimeout: 10 };
    const { s, events } = session({ doors: [door], onClose: 'hook %IP%', runDoorCommands: true }, f);
    await s.start();
    f.knock('tcp/7000', '10.2.2.2');
    f.knock('tcp/8000', '10.2.2.2');
    expect(f.actions.map((a) => a.request.command)).toEqual(['add 10.2.2.2']);
    await f.advance(20_000);
    // The timer starts only when the start command has finished.
    expect(f.actions).toHaveLength(1);
    f.actions[0]!.finish(0);
    await f.tick();
    await f.advance(9_999);
    expect(f.actions).toHaveLength(1);
    expect(s.isAllowed('10.2.2.2')).toBe(true);
    await f.advance(1);
    expect(f.actions.map((a) => a.request.command)).toEqual(['add 10.2.2.2', 'del 10.2.2.2', 'hook 10.2.2.2']);
    expect(s.isAllowed('10.2.2.2')).toBe(false);
    expect(events.find((e) => e.event === 'close')).toMatchObject({ src: '10.2.2.2', door: 'openSSH', reason: 'cmd_timeout' });
    await s.stop();
  });

  test('stopping before cmd_timeout cancels the stop_command and says so', async () => {
    const f = fakes();
    const door: Door = { name: 'openSSH', kind: 'open', seqTimeout: 5, sequence: [tcp(7000)], command: 'add %IP%', stopCommand: 'del %IP%', cmdTimeout: 10 };
    const { s, warnings } = session({ doors: [door], runDoorCommands: true }, f);
    await s.start();
    f.knock('tcp/7000', '10.2.2.2');
    f.actions[0]!.finish(0);
    await f.tick();
    await s.stop();
    await f.advance(60_000);
    expect(f.actions).toHaveLength(1);
    expect(warnings).toEqual(['stop_command of [openSSH] for 10.2.2.2 not run: knock serve stopped before its cmd_timeout']);
  });

  test('a port that cannot be bound closes those already bound and fails', async () => {
    const f = fakes({ failPort: 9000 });
    const { s, events } = session({}, f);
    await expect(s.start()).rejects.toThrow('cannot listen on tcp port 9000');
    expect(f.closed.sort()).toEqual(['tcp/7000', 'udp/8000']);
    expect(events).toEqual([]);
  });

  test('a source that is not a plain IP is never put into a command', async () => {
    const f = fakes();
    const { s, warnings } = session({ doors: [{ name: 'open', kind: 'open', seqTimeout: 5, sequence: [tcp(7000)] }], onOpen: 'allow %IP%' }, f);
    await s.start();
    f.knock('tcp/7000', '1.2.3.4;reboot');
    expect(f.actions).toEqual([]);
    expect(warnings[0]).toMatch(/^--on-open for '1\.2\.3\.4;reboot' not run: refusing/);
    await s.stop();
  });

  test("without runDoorCommands a door's commands are reported as they would run, never run; stop_command still follows cmd_timeout", async () => {
    const f = fakes();
    const door: Door = { name: 'openSSH', kind: 'open', seqTimeout: 5, sequence: [tcp(7000)], command: 'add %IP%', stopCommand: 'del %IP%', cmdTimeout: 10 };
    const { s, events } = session({ doors: [door], onOpen: 'hook %IP%' }, f);
    await s.start();
    f.knock('tcp/7000', '10.2.2.2');
    await f.tick();
    await f.advance(10_000);
    // Only the user's own --on-open runs.
    expect(f.actions.map((a) => a.request.command)).toEqual(['hook 10.2.2.2']);
    const commands = events.filter((e) => e.event === 'command');
    expect(commands).toEqual([
      expect.objectContaining({ action: 'command', command: 'add 10.2.2.2', ran: false }),
      expect.objectContaining({ action: 'stop_command', command: 'del 10.2.2.2', ran: false }),
    ]);
    expect(commands.some((e) => 'code' in e)).toBe(false);
    await s.stop();
  });

  test("a command's output comes back labelled with the command; stop() reports one last event", async () => {
    const f = fakes();
    const { s, output, kinds } = session({ doors: [{ name: 'open', kind: 'open', seqTimeout: 5, sequence: [tcp(7000)] }], onOpen: 'hook %IP%' }, f);
    await s.start();
    f.knock('tcp/7000', '10.2.2.2');
    f.actions[0]!.request.onOutput!('hello');
    expect(output).toEqual(['--on-open for 10.2.2.2: hello']);
    await s.stop();
    expect(kinds().at(-1)).toBe('stopped');
  });
});

describe('ServeSession with a one_time_sequences door (as knockd)', () => {
  test('after an open the line is disabled in the file and the next line is the sequence; a replay opens nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-serve-ot-'));
    try {
      const file = path.join(dir, 'seq');
      writeFileSync(file, ' 7001,7002\n 7003,7004\n', { mode: 0o600 });
      const door: Door = { name: 'otp', kind: 'open', seqTimeout: 5, sequence: [tcp(7001), tcp(7002)], oneTime: { file, ports: [7001, 7002, 7003, 7004].map(tcp) } };
      const f = fakes();
      const { s, events, warnings } = session({ doors: [door] }, f);
      await s.start();
      expect([...f.listeners.keys()]).toEqual(['tcp/7001', 'tcp/7002', 'tcp/7003', 'tcp/7004']);
      // A knock on a later line's port is not seen (knockd's pcap filter), so it breaks nothing.
      f.knock('tcp/7001', '10.0.0.1');
      f.knock('tcp/7003', '10.0.0.1');
      f.knock('tcp/7002', '10.0.0.1');
      const opens = () => events.filter((e) => e.event === 'open').length;
      expect(opens()).toBe(1);
      // The door takes no knocks until the claim is done; the event is the claim settling (the
      // session's own handler was registered on it first, so it has run when this await ends).
      expect(door.sequence).toEqual([]);
      expect(f.claims).toHaveLength(1);
      await f.claims[0];
      expect(readFileSync(file, 'utf8')).toBe('#7001,7002\n 7003,7004\n');
      expect(door.sequence).toEqual([tcp(7003), tcp(7004)]);
      f.knock('tcp/7001', '10.0.0.1');
      f.knock('tcp/7002', '10.0.0.1');
      expect(opens()).toBe(1);
      f.knock('tcp/7003', '10.0.0.1');
      f.knock('tcp/7004', '10.0.0.1');
      expect(opens()).toBe(2);
      expect(f.claims).toHaveLength(2);
      await f.claims[1];
      expect(warnings).toEqual([`[otp]: no more sequences left in ${file}: door disabled (as knockd does)`]);
      expect(door.sequence).toEqual([]);
      await s.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

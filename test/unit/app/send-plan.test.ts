import { PassThrough } from 'node:stream';
import { Context } from '../../../src/app/context.js';
import type { Clock } from '../../../src/knock/clock.js';
import type { Io } from '../../../src/shared/io.js';
import type { KnockPlan } from '../../../src/knock/plan.js';
import { sendPlan } from '../../../src/app/send-plan.js';
import type { Transport } from '../../../src/knock/transport/transport.js';
import { FakeLock, fakeProcess } from '../../helpers/fakes.js';

/** Virtual time: sleeping moves the clock, so a 900 ms sequence takes no real time. */
function fakeClock(): Clock {
  let t = 0n;
  return { now: () => (t += 1000n), sleep: async (ms) => void (t += BigInt(Math.round(ms * 1e6))) };
}

const transport: Transport = {
  async arm() {
    return { fire: () => ({ sent: Promise.resolve(), outcome: Promise.resolve({ result: 'sent' as const }) }), cancel() {} };
  },
};

function fakeIo(tty: boolean): Io & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    // What ora needs of a TTY stream.
    stderr: { isTTY: tty, columns: 80, write: (c: string | Uint8Array) => ((err += String(c)), true), cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as Io['stderr'],
    stdin: new PassThrough(),
    env: { TERM: 'xterm', NO_COLOR: '1' },
    cwd: '/',
    homedir: '/nonexistent',
    ...fakeProcess('/nonexistent'),
    platform: 'linux',
    err: () => err,
  };
}

const plan = (offsets: number[]): KnockPlan => ({
  action: 'open',
  profile: 'web',
  target: 'web',
  host: '198.18.0.2',
  address: '198.18.0.2',
  family: 4,
  knocks: offsets.map((offsetMs, i) => ({ protocol: 'udp', port: 1000 + i, offsetMs })),
});

describe('sendPlan spinner', () => {
  it('spins on a TTY for a long sequence', async () => {
    const io = fakeIo(true);
    await sendPlan(new Context(io, {}, { transport, clock: fakeClock(), lock: new FakeLock() }), plan([0, 450, 900]));
    expect(io.err()).toContain('knocking web (3 knocks over 900 ms)');
  });

  it.each([
    ['not on a TTY', false, {}, {}],
    ['not in proxy mode', true, {}, { silent: true }],
    ['not with --json', true, { json: true }, {}],
    ['not with -q', true, { quiet: true }, {}],
  ])('%s', async (_what, tty, args, options) => {
    const io = fakeIo(tty);
    await sendPlan(new Context(io, args, { transport, clock: fakeClock(), lock: new FakeLock() }), plan([0, 450, 900]), options);
    expect(io.err()).toBe('');
  });

  it('not for a sequence too short to notice', async () => {
    const io = fakeIo(true);
    await sendPlan(new Context(io, {}, { transport, clock: fakeClock(), lock: new FakeLock() }), plan([0, 100, 200]));
    expect(io.err()).toBe('');
  });
});

describe('a knock that could not be sent', () => {
  const failing = (bad: number): Transport => {
    let i = 0;
    return {
      async arm() {
        const result = i++ === bad ? ('not-sent' as const) : ('refused' as const);
        return { fire: () => ({ sent: Promise.resolve(), outcome: Promise.resolve({ result, detail: 'EPERM' }) }), cancel() {} };
      },
    };
  };

  it('fails the run naming the knock and the address, and prints no success line', async () => {
    const io = fakeIo(false);
    let out = '';
    io.stdout = { write: (c: string | Uint8Array) => ((out += String(c)), true) };
    await expect(sendPlan(new Context(io, {}, { transport: failing(1), clock: fakeClock(), lock: new FakeLock() }), plan([0, 10, 20]))).rejects.toThrow(
      'knock 2/3 (1001:udp) to 198.18.0.2 could not be sent: EPERM',
    );
    expect(out).toBe('');
  });

  it('also in proxy mode', async () => {
    const io = fakeIo(false);
    await expect(sendPlan(new Context(io, {}, { transport: failing(0), clock: fakeClock(), lock: new FakeLock() }), plan([0]), { silent: true })).rejects.toThrow('knock 1/1');
  });

  it('refused knocks are normal', async () => {
    const io = fakeIo(false);
    const result = await sendPlan(new Context(io, {}, { transport: failing(-1), clock: fakeClock(), lock: new FakeLock() }), plan([0, 10]));
    expect(result.report?.knocks.map((k) => k.result)).toEqual(['refused', 'refused']);
  });
});

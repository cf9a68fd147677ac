import { armIcmp } from '../../../../src/knock/transport/icmp.js';
import { echoRequest } from '../../../../src/knock/transport/icmp-socket.js';
import type { SocketCalls } from '../../../../src/knock/transport/libc.js';
import { FakeClock } from '../../../helpers/fakes.js';

const to = { address: '198.18.0.2', family: 4 as const };

function rawOnly(replyAfter?: number) {
  const sent: Buffer[] = [];
  let reads = 0;
  const calls: SocketCalls = {
    platform: 'linux',
    socket: (_d, t) => ((t & 0xf) === 3 ? 9 : -1),
    setsockoptInt: () => 0,
    bind: () => 0,
    sendto: (_fd, data) => (sent.push(Buffer.from(data)), data.length),
    recvNow: (_fd, into) => {
      if (replyAfter === undefined || ++reads < replyAfter || !sent[0]) return -1;
      const reply = Buffer.from(sent[0]);
      reply[0] = 0;
      reply.copy(into);
      return reply.length;
    },
    close: () => 0,
    errno: () => 1,
  };
  return { calls, sent };
}

test('with a socket: the echo leaves in fire() itself, and its reply is the outcome', async () => {
  const { calls, sent } = rawOnly(3);
  // The reply poll on the FakeClock: the third read answers, however slow the machine's turns.
  const clock = new FakeClock();
  const armed = await armIcmp(56, to, { platform: 'linux', env: {}, pid: 4242, socketCalls: async () => calls, timers: clock });
  expect(sent).toHaveLength(0);
  const shot = armed.fire();
  expect(sent).toHaveLength(1);
  expect(sent[0]!.length).toBe(64);
  expect(sent[0]!.equals(echoRequest(4, 4242, 1, sent[0]!.subarray(8)))).toBe(true);
  await shot.sent;
  await expect(clock.runUntil(shot.outcome)).resolves.toEqual({ result: 'reply', detail: 'from an ICMP raw socket' });
  expect(clock.pending()).toBe(0);
});

test('released before a reply: no timer keeps the run alive, and the outcome is not waited for', async () => {
  const { calls } = rawOnly();
  let closes = 0;
  calls.close = () => (closes++, 0);
  const clock = new FakeClock();
  const armed = await armIcmp(56, to, { platform: 'linux', env: {}, pid: 4242, socketCalls: async () => calls, timers: clock });
  const shot = armed.fire();
  let settled = false;
  void shot.outcome.then(() => (settled = true));
  // The control: fired, the reply poll's timer is pending.
  expect(clock.pending()).toBe(1);
  shot.release?.();
  // Released: the timer is gone and the socket closed, so nothing is left that could settle the
  // outcome or keep the run alive, however far the clock moves.
  expect(clock.pending()).toBe(0);
  expect(closes).toBe(1);
  await clock.pass(1000);
  expect(settled).toBe(false);
});

test('no socket calls (no koffi) or none allowed: the system ping; without ping either, a clear error', async () => {
  const none = async () => undefined;
  await expect(armIcmp(56, to, { platform: 'linux', env: { PATH: '' }, pid: 4242, socketCalls: none })).rejects.toThrow(
    "cannot send an ICMP knock: 'ping' is not on PATH (and no ICMP socket could be opened)",
  );
  const refused = rawOnly();
  refused.calls.socket = () => -1;
  await expect(armIcmp(56, to, { platform: 'linux', env: { PATH: '' }, pid: 4242, socketCalls: async () => refused.calls })).rejects.toThrow(/'ping' is not on PATH/);
});

test('Windows without koffi: ping, not IcmpSendEcho2', async () => {
  await expect(armIcmp(56, to, { platform: 'win32', env: { PATH: '' }, pid: 4242, windowsCalls: async () => undefined })).rejects.toThrow(/'ping' is not on PATH/);
});

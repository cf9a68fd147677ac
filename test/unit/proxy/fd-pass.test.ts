import { detectMode, FdPassChannel, whyNoFdPass } from '../../../src/proxy/fd-pass.js';

const stat = (ino: number, socket = true, dev = 1) => ({ isSocket: () => socket, ino, dev });
const probe = (fd0: ReturnType<typeof stat>, fd1: ReturnType<typeof stat>, unix?: string) => ({
  fstat: (fd: number) => (fd === 0 ? fd0 : fd1),
  unixSockets: () => unix,
  platform: 'linux' as const,
});

test('fd-pass only when fd 0 and fd 1 are the same unix socket', () => {
  expect(detectMode(probe(stat(42), stat(42), 'Num RefCount Protocol Flags Type St Inode Path\n0000: 00000003 00000000 00000000 0001 03 42\n'))).toBe('fd-pass');
  // Two pipes (ssh without ProxyUseFdpass), two sockets, or one TCP socket (inetd): relay.
  expect(detectMode(probe(stat(42, false), stat(43, false)))).toBe('relay');
  expect(detectMode(probe(stat(42), stat(43)))).toBe('relay');
  expect(detectMode(probe(stat(42), stat(42, true, 2)))).toBe('relay');
  expect(detectMode(probe(stat(42), stat(42), 'Num RefCount Protocol Flags Type St Inode Path\n0000: 00000003 00000000 00000000 0001 03 4242\n'))).toBe('relay');
  // No /proc (macOS): the same socket on both is ssh's socketpair.
  expect(detectMode(probe(stat(42), stat(42), undefined))).toBe('fd-pass');
  expect(detectMode({ ...probe(stat(42), stat(42)), platform: 'win32' })).toBe('relay');
  expect(detectMode({ fstat: () => { throw new Error('EBADF'); } })).toBe('relay');
});

test('passing needs the IPC channel and a platform where the watchdog can see the connection', () => {
  expect(whyNoFdPass({ forkChild: undefined }, 'linux')).toMatch(/has no IPC channel/);
  expect(whyNoFdPass({ forkChild: () => {} }, 'freebsd')).toBe('knock cannot watch a passed connection on freebsd');
  expect(whyNoFdPass({ forkChild: () => {} }, 'darwin')).toBeUndefined();
  // This Node (20 and 22 in CI) has it.
  expect(whyNoFdPass({}, 'linux')).toBeUndefined();
});

test('the channel opens on fd 1 at once, sends the socket with one message, and tells when ssh goes', async () => {
  const opened: unknown[] = [];
  const listeners = new Map<string, () => void>();
  const sent: unknown[] = [];
  const proc = {
    connected: true,
    send: ((message: unknown, handle: unknown, _options: unknown, callback: (e: Error | null) => void) => {
      sent.push([message, handle]);
      callback(null);
      return true;
    }) as never,
    on: ((event: string, f: () => void) => listeners.set(event, f)) as never,
    removeListener: ((event: string) => listeners.delete(event)) as never,
  };
  const channel = new FdPassChannel({ forkChild: (fd, mode) => opened.push([fd, mode]), process: proc });
  expect(opened).toEqual([[1, 'json']]);
  let gone = false;
  const undo = channel.onClosed(() => (gone = true));
  listeners.get('disconnect')!();
  expect(gone).toBe(true);
  undo();
  expect(listeners.has('disconnect')).toBe(false);
  const calls: string[] = [];
  const socket = { pause: () => calls.push('pause'), unref: () => calls.push('unref') };
  await channel.pass(socket as never);
  // Paused and unref'd first: our copy must neither read ssh's bytes nor keep us alive.
  expect(calls).toEqual(['pause', 'unref']);
  expect(sent).toEqual([['knock', socket]]);
  await expect(new FdPassChannel({ forkChild: () => {}, process: { ...proc, connected: false } }).pass(socket as never)).rejects.toThrow('ssh closed the socketpair');
});

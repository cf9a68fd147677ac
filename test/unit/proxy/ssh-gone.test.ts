import { SshGone, watchSshGone } from '../../../src/proxy/ssh-gone.js';

test('a new parent (ssh killed: we were re-parented) aborts, with the reason', async () => {
  let ppid = 4242;
  const watch = watchSshGone({ ppid: () => ppid, everyMs: 5 });
  await new Promise((r) => setTimeout(r, 20));
  expect(watch.signal.aborted).toBe(false);
  ppid = 1;
  await new Promise((r) => setTimeout(r, 20));
  expect(watch.signal.aborted).toBe(true);
  expect(watch.signal.reason).toBeInstanceOf(SshGone);
  expect((watch.signal.reason as Error).message).toBe('ssh is gone (our parent 4242 exited)');
  watch.stop();
});

test('ssh closing the socketpair aborts; stop() undoes the listener and the poll', async () => {
  let closed: (() => void) | undefined;
  let undone = false;
  const watch = watchSshGone({ ppid: () => 7, onChannelClosed: (f) => ((closed = f), () => (undone = true)) });
  closed!();
  expect((watch.signal.reason as Error).message).toBe('ssh is gone (it closed the socketpair)');
  watch.stop();
  expect(undone).toBe(true);
});

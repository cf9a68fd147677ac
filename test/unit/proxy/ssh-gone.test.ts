import { SshGone, watchSshGone } from '../../../src/proxy/ssh-gone.js';

test('a new parent (ssh killed: we were re-parented) aborts, with the reason', async () => {
  let ppid = 4242;
  // The poll's turns are the test's to make: no real interval, no wait.
  let turn: (() => void) | undefined;
  let polling = false;
  const watch = watchSshGone({
    ppid: () => ppid,
    everyMs: 5,
    poll: (check, everyMs) => {
      expect(everyMs).toBe(5);
      turn = check;
      polling = true;
      return () => (polling = false);
    },
  });
  turn!();
  turn!();
  expect(watch.signal.aborted).toBe(false);
  expect(watch.gone()).toBe(false);
  ppid = 1;
  // Asked before the next poll's turn: it looks now, and the signal aborts with it.
  expect(watch.gone()).toBe(true);
  expect(watch.signal.aborted).toBe(true);
  turn!();
  expect(watch.signal.aborted).toBe(true);
  expect(watch.signal.reason).toBeInstanceOf(SshGone);
  expect((watch.signal.reason as Error).message).toBe('ssh is gone (our parent 4242 exited)');
  expect(polling).toBe(true);
  watch.stop();
  expect(polling).toBe(false);
});

test('ssh closing the socketpair aborts; stop() undoes the listener and the poll', async () => {
  let closed: (() => void) | undefined;
  let undone = false;
  let pollStopped = false;
  const watch = watchSshGone({ ppid: () => 7, poll: () => () => (pollStopped = true), onChannelClosed: (f) => ((closed = f), () => (undone = true)) });
  closed!();
  expect((watch.signal.reason as Error).message).toBe('ssh is gone (it closed the socketpair)');
  expect(pollStopped).toBe(false);
  watch.stop();
  expect(undone).toBe(true);
  expect(pollStopped).toBe(true);
});

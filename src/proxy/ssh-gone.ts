// Has the ssh that started us gone away while we were still knocking or connecting? Then
// nothing more may go out: no further open knock, no connect attempt, no line on a terminal
// ssh has left. SIGHUP (ssh's way of ending its proxy) already ends the process by default;
// this catches what comes without a signal: ssh killed (we are re-parented) or, with fd
// passing, ssh's end of the socketpair closed.

export class SshGone extends Error {
  constructor(why: string) {
    super(`ssh is gone (${why})`);
    this.name = 'SshGone';
  }
}

export interface GoneOptions {
  /** Our parent's pid now, read anew each time (the Io's ppid). */
  ppid: () => number;
  everyMs?: number;
  /** Runs check every everyMs until the returned stop is called (a timer that keeps no process alive). */
  poll?: (check: () => void, everyMs: number) => () => void;
  /** Registers a callback for "ssh closed the socketpair"; returns its undo. */
  onChannelClosed?: (gone: () => void) => () => void;
}

export interface GoneWatch {
  readonly signal: AbortSignal;
  /**
   * Looks now, not at the next poll: whether ssh is gone (the signal aborts if it just went).
   * Asked before every line for ssh's terminal, so none is written in the poll's gap.
   */
  gone(): boolean;
  /** The session is up (or over): stop watching. */
  stop(): void;
}

export const PARENT_POLL_MS = 50;

export function watchSshGone(options: GoneOptions): GoneWatch {
  const { ppid } = options;
  const controller = new AbortController();
  const parent = ppid();
  const gone = (why: string) => {
    if (!controller.signal.aborted) controller.abort(new SshGone(why));
  };
  const look = () => {
    if (ppid() !== parent) gone(`our parent ${parent} exited`);
    return controller.signal.aborted;
  };
  const poll = options.poll ?? everyUnref;
  const stopPoll = poll(look, options.everyMs ?? PARENT_POLL_MS);
  const undoChannel = options.onChannelClosed?.(() => gone('it closed the socketpair'));
  return {
    signal: controller.signal,
    gone: look,
    stop() {
      stopPoll();
      undoChannel?.();
    },
  };
}

function everyUnref(check: () => void, everyMs: number): () => void {
  const timer = setInterval(check, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

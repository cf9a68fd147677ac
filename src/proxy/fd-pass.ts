// ssh's ProxyUseFdpass: ssh gives us one end of a socketpair as stdin and stdout and wants the
// connected socket back over it (SCM_RIGHTS), then talks to the server itself. Node passes a
// socket without native code through an IPC channel opened on fd 1 (what `fork` gives a child).
import childProcess from 'node:child_process';
import { fstatSync, readFileSync } from 'node:fs';
import type net from 'node:net';

export type ProxyMode = 'fd-pass' | 'relay';

export interface ModeProbe {
  fstat?: (fd: number) => { isSocket(): boolean; ino: number; dev: number };
  /** The text of /proc/net/unix where there is one (to tell a unix socket from an inetd TCP one). */
  unixSockets?: () => string | undefined;
  platform?: NodeJS.Platform;
}

/**
 * fd-pass when fd 0 and fd 1 are one and the same unix socket (ssh's socketpair); in relay mode
 * they are two pipes. A TCP socket on both (inetd) cannot carry a file descriptor: relay.
 */
export function detectMode(probe: ModeProbe = {}): ProxyMode {
  if ((probe.platform ?? process.platform) === 'win32') return 'relay';
  const stat = probe.fstat ?? fstatSync;
  try {
    const [a, b] = [stat(0), stat(1)];
    if (!a.isSocket() || !b.isSocket() || a.ino !== b.ino || a.dev !== b.dev) return 'relay';
    const unix = (probe.unixSockets ?? readProcNetUnix)();
    // /proc/net/unix lists every unix socket's inode in its last column.
    if (unix !== undefined && !new RegExp(`\\s${a.ino}(\\s|$)`, 'm').test(unix)) return 'relay';
    return 'fd-pass';
  } catch {
    return 'relay';
  }
}

function readProcNetUnix(): string | undefined {
  try {
    return readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
}

/** What this Node offers to open an IPC channel on an fd (internal, so looked for, not assumed). */
type ForkChild = (fd: number, serialization: string) => void;

export interface PassOptions {
  /** Replaceable in tests; the real one is child_process's internal _forkChild. */
  forkChild?: ForkChild | undefined;
  process?: Pick<NodeJS.Process, 'send' | 'on' | 'removeListener' | 'connected'>;
}

function nodeForkChild(): ForkChild | undefined {
  const forkChild = (childProcess as unknown as { _forkChild?: unknown })._forkChild;
  return typeof forkChild === 'function' ? (forkChild as ForkChild) : undefined;
}

/** Why passing a socket cannot work here, or undefined when it can. */
export function whyNoFdPass(options: PassOptions = {}, platform: NodeJS.Platform = process.platform): string | undefined {
  const forkChild = 'forkChild' in options ? options.forkChild : nodeForkChild();
  if (!forkChild) return `this Node (${process.version}) has no IPC channel to pass a socket with`;
  // The close knock needs to see the connection end without holding it (connection-watch.ts).
  if (platform !== 'linux' && platform !== 'darwin') return `knock cannot watch a passed connection on ${platform}`;
  return undefined;
}

/** The IPC channel on fd 1 to ssh, opened once; it also tells when ssh closes its end. */
export class FdPassChannel {
  private readonly proc: NonNullable<PassOptions['process']>;

  constructor(options: PassOptions = {}) {
    const forkChild = 'forkChild' in options ? options.forkChild : nodeForkChild();
    if (!forkChild) throw new Error('no IPC channel');
    this.proc = options.process ?? process;
    // Nothing may be written to fd 1 before the socket: the channel writes only in send().
    forkChild(1, 'json');
  }

  /** Calls `onGone` if ssh closes the socketpair (it died) before the socket was passed. */
  onClosed(onGone: () => void): () => void {
    this.proc.on('disconnect', onGone);
    return () => this.proc.removeListener('disconnect', onGone);
  }

  /**
   * Hands the connected socket to ssh. Node writes one JSON line with the fd attached to its
   * first byte; ssh reads that byte with the fd, closes its end and waits for us to exit, so
   * the caller must return at once (and never disconnect(): that waits for an ACK ssh never sends).
   */
  pass(socket: net.Socket): Promise<void> {
    // Our copy of the fd stays open until the process exits: it must not keep the loop alive.
    socket.pause();
    socket.unref();
    return new Promise((resolve, reject) => {
      if (!this.proc.connected || !this.proc.send) return reject(new Error('ssh closed the socketpair'));
      this.proc.send('knock', socket as never, {}, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}

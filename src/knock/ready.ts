// Connecting to the port behind the door once it opens: a firewall may take a moment after
// the last knock (knockd runs a command), so connects are retried within a bounded window.
import net from 'node:net';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { hostPort } from '../shared/address.js';
import type { Destination } from './transport/transport.js';
import { systemTimers, type Timers } from './clock.js';

export interface ReadyOptions {
  /** How long the port may take to accept, from the first attempt (ms). */
  windowMs: number;
  /** Stream buffer sizes for the connection (the proxy's data path). */
  highWaterMark?: number;
  /** Told before each retry, with the reason the previous attempt failed (for -v). */
  onRetry?: (attempt: number, reason: string) => void;
  /** Replaceable in tests. */
  connect?: (options: net.NetConnectOpts) => net.Socket;
  /** Stops at once: the attempt in flight is dropped (its one SYN already out), no new one starts. */
  signal?: AbortSignal;
  /** Read nothing from the connection: its bytes are for whoever it is handed to (ssh). */
  noRead?: boolean;
  /** The window, each attempt's limit and the pauses between (tests move a fake clock). */
  timers?: Timers;
}

/**
 * How long an unanswered attempt waits: short at first, growing (50, 100, 200, 400, 800 ms),
 * because the first SYN often reaches the server before its rule does (knockd runs a command
 * after the last knock). Every attempt is dropped before the kernel would retransmit its SYN
 * (~1 s), so each costs exactly one SYN, to the service port.
 */
export const FIRST_ATTEMPT_MS = 50;
export const MAX_ATTEMPT_MS = 800;
/** After a refused or unreachable attempt (answered at once), the pause before the next. */
const FIRST_BACKOFF_MS = 20;
const MAX_BACKOFF_MS = 250;

/** Opens a TCP connection to `to`:`port`, retrying until it is accepted or the window closes. */
export async function connectWhenReady(to: Destination, port: number, options: ReadyOptions): Promise<net.Socket> {
  const connect = options.connect ?? net.connect;
  const { signal } = options;
  const timers = options.timers ?? systemTimers;
  const started = timers.nowMs();
  let attemptMs = FIRST_ATTEMPT_MS;
  let backoff = FIRST_BACKOFF_MS;
  let lastReason = 'no attempt';
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const left = options.windowMs - (timers.nowMs() - started);
    if (left <= 0 && attempt > 1) break;
    const timeoutMs = Math.max(1, Math.min(attemptMs, left));
    const attemptStarted = timers.nowMs();
    try {
      return await connectOnce(connect, to, port, timeoutMs, options, signal, timers);
    } catch (error) {
      signal?.throwIfAborted();
      lastReason = reasonOf(error);
    }
    const remaining = options.windowMs - (timers.nowMs() - started);
    if (remaining <= 0) break;
    options.onRetry?.(attempt, lastReason);
    if (timers.nowMs() - attemptStarted < timeoutMs) {
      // Answered (refused, unreachable): pause before asking again.
      await pause(Math.min(backoff, remaining), signal, timers);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
    attemptMs = Math.min(MAX_ATTEMPT_MS, attemptMs * 2);
  }
  throw new NotReadyError(`connect to ${hostPort(to.address, port)} failed after ${formatSeconds(options.windowMs)}: ${lastReason}`, lastReason);
}

/** The window closed before the port accepted; `reason` is why the last attempt failed. */
export class NotReadyError extends RuntimeError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

function pause(ms: number, signal: AbortSignal | undefined, timers: Timers): Promise<void> {
  return new Promise((resolve, reject) => {
    // Aborted already (told while the last attempt was reported): an abort listener would never fire.
    if (signal?.aborted) return reject(signal.reason);
    const cancel = timers.setTimer(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      cancel();
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connectOnce(
  connect: (options: net.NetConnectOpts) => net.Socket,
  to: Destination,
  port: number,
  timeoutMs: number,
  { highWaterMark, noRead }: Pick<ReadyOptions, 'highWaterMark' | 'noRead'>,
  signal: AbortSignal | undefined,
  timers: Timers,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // The one resolved address, never a name: no second lookup, no Happy Eyeballs SYNs.
    const socket = connect({
      host: to.address,
      port,
      family: to.family,
      autoSelectFamily: false,
      allowHalfOpen: true,
      // From the knocks' source: a server that opened for that address expects it.
      ...(to.source ? { localAddress: to.source } : {}),
      ...(highWaterMark ? { readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark } : {}),
    } as net.NetConnectOpts);
    // Paused before it connects, Node never starts reading: the server's banner stays in the kernel.
    if (noRead) socket.pause();
    const settle = () => {
      cancel();
      signal?.removeEventListener('abort', onAbort);
    };
    const cancel = timers.setTimer(() => {
      settle();
      socket.destroy();
      reject(new Error('no answer (ETIMEDOUT)'));
    }, timeoutMs);
    const onAbort = () => {
      settle();
      socket.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      settle();
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) => {
      settle();
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
  });
}

/** What waitForPorts passes on to each connectWhenReady. */
export type WaitOptions = Pick<ReadyOptions, 'onRetry' | 'connect' | 'timers'>;

/** Waits until every port accepts a connection (each closed again at once). */
export async function waitForPorts(to: Destination, ports: readonly number[], windowMs: number, options: WaitOptions = {}): Promise<void> {
  const timers = options.timers ?? systemTimers;
  const started = timers.nowMs();
  for (const port of ports) {
    const left = Math.max(1, windowMs - (timers.nowMs() - started));
    try {
      const socket = await connectWhenReady(to, port, { ...options, windowMs: left });
      socket.destroy();
    } catch (error) {
      if (!(error instanceof NotReadyError)) throw error;
      throw new RuntimeError(`${hostPort(to.address, port)} did not accept a connection within ${formatSeconds(windowMs)}: ${error.reason}`);
    }
  }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * RFC 8305's "Connection Attempt Delay": a dual-stack race starts the next family this long
 * after the one before it, unless that one has already failed.
 */
export const FAMILY_STAGGER_MS = 250;

/**
 * Happy eyeballs over addresses already resolved (one per family, in the resolver's order):
 * each is tried as connectWhenReady tries one (every attempt one SYN), the next starting
 * FAMILY_STAGGER_MS after the one before, or as soon as an attempt of that one failed; the first
 * connection wins and every other attempt is dropped at once (a late winner is closed).
 * Rejects only when every address failed, with the first address's error.
 */
export async function connectFirstReady(
  destinations: readonly Destination[],
  port: number,
  options: ReadyOptions & { staggerMs?: number; onStart?: (to: Destination) => void },
): Promise<{ socket: net.Socket; to: Destination }> {
  if (destinations.length === 1) {
    const to = destinations[0]!;
    options.onStart?.(to);
    return { socket: await connectWhenReady(to, port, options), to };
  }
  const stagger = options.staggerMs ?? FAMILY_STAGGER_MS;
  const race = new AbortController();
  const outer = options.signal;
  const onOuter = () => race.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  let winner: { socket: net.Socket; to: Destination } | undefined;
  const failed: (() => void)[] = [];
  const attempts = destinations.map(async (to, i) => {
    if (i > 0) {
      // Starts after the stagger, or as soon as the one before has given up.
      await new Promise<void>((resolve) => {
        failed[i - 1] = resolve;
        pause(stagger, race.signal, options.timers ?? systemTimers).then(resolve, resolve);
      });
    }
    race.signal.throwIfAborted();
    options.onStart?.(to);
    try {
      // The first failed attempt (refused, unreachable, unanswered) starts the next family.
      const onRetry = (attempt: number, reason: string) => {
        failed[i]?.();
        options.onRetry?.(attempt, reason);
      };
      const socket = await connectWhenReady(to, port, { ...options, signal: race.signal, onRetry });
      if (winner) {
        socket.destroy();
      } else {
        winner = { socket, to };
        race.abort(new Error('another address connected first'));
      }
      return winner;
    } catch (error) {
      failed[i]?.();
      throw error;
    }
  });
  try {
    const settled = await Promise.allSettled(attempts);
    if (winner) return winner;
    outer?.throwIfAborted();
    const first = settled[0];
    throw first && first.status === 'rejected' ? first.reason : new Error('no address connected');
  } finally {
    outer?.removeEventListener('abort', onOuter);
  }
}

/** waitForPorts over a dual-stack host's addresses: each port raced across them; says which won. */
export async function waitForPortsAny(destinations: readonly Destination[], ports: readonly number[], windowMs: number, options: WaitOptions = {}): Promise<Destination> {
  const timers = options.timers ?? systemTimers;
  const started = timers.nowMs();
  let won = destinations[0]!;
  for (const port of ports) {
    const left = Math.max(1, windowMs - (timers.nowMs() - started));
    try {
      const { socket, to } = await connectFirstReady(destinations, port, { ...options, windowMs: left });
      socket.destroy();
      won = to;
    } catch (error) {
      if (!(error instanceof NotReadyError)) throw error;
      const where = destinations.map((to) => hostPort(to.address, port)).join(' or ');
      throw new RuntimeError(`${where} did not accept a connection within ${formatSeconds(windowMs)}: ${error.reason}`);
    }
  }
  return won;
}

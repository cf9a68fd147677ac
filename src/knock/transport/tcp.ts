// A TCP knock: exactly one SYN (connect, then close while still in SYN_SENT: nothing follows),
// or with `:connect` the whole handshake and a FIN.
import net from 'node:net';
import { RuntimeError } from '../../shared/errors.js';
import { haveHandles, isRefused, tcpConnect, statusCode, type TcpAttempt } from '../../shared/handles.js';
import { AF_INET, CONSTANTS, IPPROTO_IP, IPPROTO_IPV6, SOCK_STREAM, type SocketCalls } from './libc.js';
import type { Armed, Destination, Outcome } from './transport.js';

/**
 * How long a TCP knock waits for a RST or SYN-ACK before closing. Closing a socket still in
 * SYN_SENT is silent; it must happen well before the kernel's first retransmit (~1 s).
 */
export const TCP_SETTLE_MS = 150;
/** A `:connect` knock waits this long for its handshake: still before the first retransmit. */
export const CONNECT_KNOCK_MS = 900;

let warmedUp: Promise<void> | undefined;

/**
 * A process's first TCP connect runs cold code (~1.5 ms on Linux through net) between the
 * call and the SYN, which made the first knock leave late. Run that code once before the
 * sequence with a connect to 255.255.255.255, which Linux refuses at once (ENETUNREACH) without
 * sending anything, by the way the knocks will take (libuv's handle, else net). Linux only:
 * that is where "nothing is sent" has been checked.
 */
export function warmUpTcp(): Promise<void> {
  warmedUp ??= new Promise<void>((resolve) => {
    const to: Destination = { address: '255.255.255.255', family: 4 };
    if (haveHandles()) {
      // Refused within the call; its status is not looked at.
      tcpConnect(to, 9, () => {})!.close();
      return resolve();
    }
    const socket = new net.Socket();
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 50);
    socket.once('error', done).once('connect', done);
    socket.connect({ host: to.address, port: 9, family: 4, autoSelectFamily: false });
  });
  return warmedUp;
}

/**
 * Node's net sets no TTL before connect, so the SYN would carry the default. With a TTL, the
 * socket is made with socket(2) and IP_TTL / IPV6_UNICAST_HOPS set on it, and handed to
 * net.Socket as an fd: libuv connects that socket, and the SYN carries the TTL.
 */
function socketWithTtl(calls: SocketCalls, to: Destination, ttl: number): net.Socket {
  const c = CONSTANTS[calls.platform];
  const fd = calls.socket(to.family === 6 ? c.AF_INET6 : AF_INET, SOCK_STREAM | c.SOCK_CLOEXEC, 0);
  if (fd < 0) throw new RuntimeError(`cannot open a TCP socket for a knock with TTL ${ttl} (errno ${calls.errno()})`);
  const [level, name] = to.family === 6 ? [IPPROTO_IPV6, c.IPV6_UNICAST_HOPS] : [IPPROTO_IP, c.IP_TTL];
  if (calls.setsockoptInt(fd, level, name, ttl) < 0) {
    const errno = calls.errno();
    calls.close(fd);
    throw new RuntimeError(`cannot set TTL ${ttl} on a TCP knock (errno ${errno})`);
  }
  // Not readable yet: Node would read from the unconnected socket at once (ENOTCONN).
  return new net.Socket({ fd, readable: false, writable: false });
}

export interface TcpOptions {
  connect?: boolean;
  /** The socket calls for a TTL (koffi); required when `to.ttl` is set. */
  calls?: SocketCalls;
}

/** What a TCP knock's answer (a code, none: connected) says; `local`: refused before anything left. */
function outcomeOf(code: string | undefined, local: boolean): Outcome {
  if (code === undefined) return { result: 'accepted', detail: 'the port accepted the connection; a FIN followed the SYN' };
  if (local) return { result: 'not-sent', detail: code };
  return code === 'ECONNREFUSED' ? { result: 'refused' } : { result: 'unreachable', detail: code };
}

/**
 * A SYN by libuv's TCP handle (shared/handles.ts): connect(2) runs within fire(), so the SYN has
 * left (or the kernel refused it there and then) when fire() returns.
 */
function armHandle(port: number, to: Destination): Armed {
  let attempt: TcpAttempt | undefined;
  return {
    cancel: () => attempt?.close(),
    fire() {
      let timer: NodeJS.Timeout | undefined;
      let settle!: (outcome: Outcome) => void;
      const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
      const done = (result: Outcome) => {
        clearTimeout(timer);
        attempt?.close();
        settle(result);
      };
      const answered = (status: number) => {
        if (status === 0) done(outcomeOf(undefined, false));
        else done(isRefused(status) ? { result: 'refused' } : outcomeOf(statusCode(status), false));
      };
      attempt = tcpConnect(to, port, answered)!;
      if (attempt.refused !== undefined) done(outcomeOf(statusCode(attempt.refused), true));
      else timer = setTimeout(() => done({ result: 'no-answer' }), TCP_SETTLE_MS);
      return {
        sent: Promise.resolve(),
        outcome,
        release() {
          clearTimeout(timer);
          attempt?.close();
        },
      };
    },
  };
}

export function armTcp(port: number, to: Destination, options: TcpOptions = {}): Armed {
  // A SYN alone, without a TTL: no net needed.
  if (!options.connect && to.ttl === undefined && haveHandles()) return armHandle(port, to);
  // Made ahead: the process's first net.Socket costs milliseconds (lazy initialisation), which
  // would otherwise make the first TCP knock leave late.
  let socket: net.Socket;
  if (to.ttl !== undefined) {
    if (!options.calls) {
      throw new RuntimeError('cannot set a TTL on TCP knocks here: it takes socket calls through the koffi package (Linux, macOS), which could not be loaded');
    }
    socket = socketWithTtl(options.calls, to, to.ttl);
  } else socket = new net.Socket();
  const handshake = Boolean(options.connect);
  // An error before fire() (none expected) must not be an unhandled 'error' event.
  socket.on('error', () => {});
  return {
    cancel: () => socket.destroy(),
    fire() {
      // connect(2) runs in a tick of Node's (see below). When the kernel refuses it there and
      // then (no route, EPERM, EACCES), Node emits the error from a later tick of the same
      // batch; an ICMP error for a SYN that left can only be read from the socket afterwards,
      // in the event loop's I/O phase, after the microtasks that this batch of ticks ends with.
      let refusedLocally = true;
      process.nextTick(() => queueMicrotask(() => (refusedLocally = false)));
      socket.connect({
        host: to.address,
        port,
        family: to.family,
        autoSelectFamily: false,
        ...(to.source ? { localAddress: to.source } : {}),
      });
      // net.connect issues connect(2) on the next tick; once that tick has run, the SYN is out.
      const sent = new Promise<void>((resolve) => process.nextTick(resolve));
      let released = false;
      let timer: NodeJS.Timeout | undefined;
      const outcome = new Promise<Outcome>((resolve) => {
        const done = (outcome: Outcome) => {
          clearTimeout(timer);
          // After a handshake, end() sends the FIN; destroy() then frees the socket.
          if (handshake && outcome.result === 'accepted') socket.end(() => socket.destroy());
          else socket.destroy();
          resolve(outcome);
        };
        timer = setTimeout(() => done({ result: 'no-answer' }), handshake ? CONNECT_KNOCK_MS : TCP_SETTLE_MS);
        socket.once('connect', () => done(handshake ? { result: 'accepted' } : outcomeOf(undefined, false)));
        socket.once('error', (error: NodeJS.ErrnoException) => {
          if (!released) done(outcomeOf(error.code ?? error.message, refusedLocally));
        });
      });
      return {
        sent,
        outcome,
        release() {
          // A :connect knock finishes its handshake (bounded by its timer); a SYN-only knock
          // closes now, silently (still in SYN_SENT), or has closed already.
          if (handshake) return;
          released = true;
          clearTimeout(timer);
          socket.destroy();
        },
      };
    },
  };
}

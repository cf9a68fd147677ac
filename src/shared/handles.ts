// libuv's TCP and Unix socket handles, the ones under Node's net, reached without loading net:
// net brings Node's streams and, to listen, its cluster module and child_process with it, about
// a fifth of a knock's whole start-up, for a SYN and a listening socket that read and write
// nothing. The same syscalls in the same order: socket(), bind() where a source is asked for,
// connect(), close(); socket(), bind(), listen(), accept(), close().
//
// process.binding is deprecated in documentation only (DEP0111) and has been kept for years.
// Where it is gone, warns (--pending-deprecation, NODE_PENDING_DEPRECATION=1), is denied (the
// permission model) or its handles are not of the shape checked here, these give undefined
// and the caller uses net, the same SYN and the same socket file as before.
import { getSystemErrorMap, getSystemErrorName } from 'node:util';

/** A libuv handle: closed once, with its file descriptor. */
interface Handle {
  close(callback?: () => void): void;
  unref(): void;
}

interface TcpHandle extends Handle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  connect(request: object, address: string, port: number): number;
  connect6(request: object, address: string, port: number): number;
}

interface PipeHandle extends Handle {
  bind(path: string): number;
  listen(backlog: number): number;
  onconnection: ((status: number, client: Handle | undefined) => void) | null;
}

interface ConnectRequest {
  oncomplete: ((status: number) => void) | null;
}

interface Bindings {
  /** libuv's status for a refused connection (a RST). */
  refused: number;
  tcp: { TCP: new (type: number) => TcpHandle; TCPConnectWrap: new () => ConnectRequest; constants: { SOCKET: number } };
  pipe: { Pipe: new (type: number) => PipeHandle; constants: { SERVER: number } };
}

let bindings: Bindings | null | undefined;

/**
 * The bindings (tcp_wrap, pipe_wrap, and the refused status), or null where they cannot be used
 * as they are here. libuv's status is the negated errno on every system but Windows, so it is
 * read from the constants binding, which Node has loaded already; the uv binding (its own
 * table, 0.2 ms to make) only on Windows.
 */
function load(): Bindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const binding = (process as unknown as { binding?: ((name: string) => unknown) & { name?: string } }).binding;
  // --pending-deprecation wraps it in a function that warns on every call.
  if (typeof binding !== 'function' || binding.name !== 'binding') return bindings;
  try {
    const refused =
      process.platform === 'win32'
        ? (binding('uv') as { UV_ECONNREFUSED?: number } | undefined)?.UV_ECONNREFUSED
        : -((binding('constants') as { os?: { errno?: { ECONNREFUSED?: number } } } | undefined)?.os?.errno?.ECONNREFUSED ?? NaN);
    const tcp = binding('tcp_wrap') as Bindings['tcp'];
    const pipe = binding('pipe_wrap') as Bindings['pipe'];
    const methods = (cls: unknown, names: string[]) =>
      typeof cls === 'function' && names.every((name) => typeof (cls.prototype as Record<string, unknown>)[name] === 'function');
    if (
      Number.isInteger(refused) &&
      refused! < 0 &&
      methods(tcp?.TCP, ['bind', 'bind6', 'connect', 'connect6', 'close', 'unref']) &&
      typeof tcp.TCPConnectWrap === 'function' &&
      Number.isInteger(tcp.constants?.SOCKET) &&
      methods(pipe?.Pipe, ['bind', 'listen', 'close', 'unref']) &&
      Number.isInteger(pipe.constants?.SERVER)
    ) {
      bindings = { refused: refused!, tcp, pipe };
    }
  } catch {
    // denied (the permission model) or gone: net it is
  }
  return bindings;
}

/** Whether tcpConnect and unixListen work here (else they give undefined). */
export function haveHandles(): boolean {
  return load() !== null;
}

/** Whether a status from tcpConnect is a refused connection (a RST): the one answer asked by its number. */
export function isRefused(status: number): boolean {
  return status === bindings?.refused;
}

/** A libuv status (a negative errno) as its code: ENETUNREACH (the first call builds Node's table of them). */
export function statusCode(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return `errno ${status}`;
  }
}

export interface TcpAttempt {
  /** The status where connect(2) (or bind(2)) failed at once: nothing left. */
  refused?: number;
  /** Closes the socket: silently while the SYN is unanswered, with a FIN once connected. */
  close(): void;
}

/**
 * A TCP connect to an IP address, issued before this returns; `done` is told its end (0:
 * connected, else a negative errno) unless it was closed first. Undefined: no bindings here.
 */
export function tcpConnect(to: { address: string; family: 4 | 6; source?: string }, port: number, done: (status: number) => void): TcpAttempt | undefined {
  const b = load();
  if (!b) return undefined;
  const handle = new b.tcp.TCP(b.tcp.constants.SOCKET);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    handle.close();
  };
  const v6 = to.family === 6;
  if (to.source) {
    const bound = v6 ? handle.bind6(to.source, 0, 0) : handle.bind(to.source, 0);
    if (bound) {
      close();
      return { refused: bound, close };
    }
  }
  const request = new b.tcp.TCPConnectWrap();
  request.oncomplete = (status) => {
    if (!closed) done(status);
  };
  const status = v6 ? handle.connect6(request, to.address, port) : handle.connect(request, to.address, port);
  if (status) {
    close();
    return { refused: status, close };
  }
  return { close };
}

/** A failed call as net reports it: `listen EACCES: permission denied /run/x`, with code, errno, syscall. */
function uvError(status: number, syscall: string, address: string): NodeJS.ErrnoException {
  const [code, words] = getSystemErrorMap().get(status) ?? [statusCode(status), 'unknown error'];
  return Object.assign(new Error(`${syscall} ${code}: ${words} ${address}`), { code, errno: status, syscall, address });
}

export interface UnixListener {
  /** Closes the socket and every connection it took (libuv unlinks the path it bound). */
  close(): void;
}

/**
 * A Unix socket listening at `file` (bound and listening before this returns, or a code), not
 * keeping the process alive, holding the connections it takes open until closed.
 * Undefined: no bindings here.
 */
export function unixListen(file: string): { listener: UnixListener } | { error: NodeJS.ErrnoException } | undefined {
  const b = load();
  if (!b) return undefined;
  const server = new b.pipe.Pipe(b.pipe.constants.SERVER);
  const taken = new Set<Handle>();
  const bound = server.bind(file);
  const status = bound || server.listen(511);
  if (status) {
    server.close();
    // net names a failed bind(2) 'listen' too.
    return { error: uvError(status, 'listen', file) };
  }
  server.onconnection = (error, client) => {
    if (error || !client) return;
    client.unref();
    taken.add(client);
  };
  server.unref();
  let closed = false;
  return {
    listener: {
      close() {
        if (closed) return;
        closed = true;
        server.close();
        for (const client of taken) client.close();
        taken.clear();
      },
    },
  };
}

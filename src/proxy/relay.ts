// Carries a connection's bytes between stdin/stdout and a socket, as a ProxyCommand must:
// our EOF is passed on as a half-close, the server's EOF ends the session once stdout is
// flushed (Node never ends stdout by itself, and ssh waits for it), EPIPE is a normal end.
import type net from 'node:net';

export type RelayEnd =
  /** The server closed its side; everything it sent was written to stdout. */
  | 'server-closed'
  /** Whoever reads our stdout went away (EPIPE): ssh has exited. */
  | 'reader-gone'
  /** The connection failed (reset, timeout). */
  | 'connection-failed';

export interface RelayResult {
  end: RelayEnd;
  error?: Error;
}

export interface RelayStreams {
  input: NodeJS.ReadableStream & { destroy?(): void };
  output: NodeJS.WritableStream;
}

/** How long a socket we have ended may wait for the server's FIN before it is dropped. */
const LINGER_MS = 2000;

export function relay(socket: net.Socket, { input, output }: RelayStreams): Promise<RelayResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: RelayResult) => {
      if (settled) return;
      settled = true;
      input.unpipe(socket);
      socket.unpipe(output);
      // Stop reading stdin so that nothing keeps the process alive once we are done.
      input.destroy?.();
      if (result.end === 'connection-failed') socket.destroy();
      else {
        socket.end();
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      }
      resolve(result);
    };

    // Both directions are plain pipes: backpressure without per-chunk work of our own.
    // stdin's EOF ends the socket's sending side only (allowHalfOpen): the server's answer still comes.
    input.pipe(socket);
    socket.pipe(output, { end: false });

    socket.once('end', () => {
      // Callbacks run in order: this one runs once every byte before it has been flushed.
      output.write(Buffer.alloc(0), () => finish({ end: 'server-closed' }));
    });
    socket.once('error', (error) => finish({ end: 'connection-failed', error }));
    socket.once('close', () => finish({ end: 'server-closed' }));
    output.on('error', () => finish({ end: 'reader-gone' }));
    input.on('error', () => socket.end());
  });
}

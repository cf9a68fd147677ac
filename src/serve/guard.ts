// --guard PORT:TARGET_HOST:TARGET_PORT: a TCP forwarder that lets in only sources whose door is
// open, so a whole knock-then-connect flow (ssh ProxyCommand included) can be tried without root.
import net from 'node:net';
import { UsageError } from '../shared/errors.js';
import { checkPort } from '../knock/tokens.js';
import { bindError, normalizeAddress, type Closable } from './listeners.js';

export interface GuardSpec {
  port: number;
  targetHost: string;
  targetPort: number;
}

export function parseGuard(text: string): GuardSpec {
  const m = /^(\d+):(.+):(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--guard '${text}': expected PORT:TARGET_HOST:TARGET_PORT`);
  const targetHost = m[2]!.replace(/^\[(.*)\]$/, '$1');
  try {
    return { port: checkPort(Number(m[1]), `--guard '${text}'`), targetHost, targetPort: checkPort(Number(m[3]), `--guard '${text}'`) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export interface GuardEvent {
  event: 'guard';
  src: string;
  allowed: boolean;
  /** Why a forward failed (the target refused, ...). */
  error?: string;
}

export type StartGuard = (spec: GuardSpec, host: string, isAllowed: (src: string) => boolean, emit: (event: GuardEvent) => void) => Promise<Closable>;

export const startGuard: StartGuard = (spec, host, isAllowed, emit) => {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const src = normalizeAddress(client.remoteAddress);
    client.on('error', () => {});
    if (!isAllowed(src)) {
      emit({ event: 'guard', src, allowed: false });
      // A reset, as a firewall's REJECT --reject-with tcp-reset would send.
      client.resetAndDestroy();
      return;
    }
    emit({ event: 'guard', src, allowed: true });
    const upstream = net.connect({ host: spec.targetHost, port: spec.targetPort });
    open.add(client);
    open.add(upstream);
    upstream.on('error', (error) => {
      emit({ event: 'guard', src, allowed: true, error: `${spec.targetHost}:${spec.targetPort}: ${error.message}` });
      client.destroy();
    });
    client.on('close', () => {
      open.delete(client);
      upstream.end();
    });
    upstream.on('close', () => {
      open.delete(upstream);
      client.end();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(bindError(error, 'tcp', host, spec.port)));
    server.listen({ host, port: spec.port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve({
        close: () =>
          new Promise((r) => {
            for (const socket of open) socket.destroy();
            server.close(() => r());
          }),
      });
    });
  });
};

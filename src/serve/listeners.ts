// Real sockets for knock serve: one TCP listener or UDP socket per knock port, with bind errors
// turned into messages that name the protocol, address and port.
import dgram from 'node:dgram';
import net from 'node:net';
import { isIPv6 } from '../shared/ip.js';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { hostPort } from '../shared/address.js';
import type { DoorKnock } from './doors.js';

export interface Closable {
  close(): Promise<void>;
}

/** "::ffff:127.0.0.1" (a dual-stack socket's view of an IPv4 peer) is 127.0.0.1. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}


export function bindError(error: unknown, proto: string, host: string, port: number): RuntimeError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${proto} ${hostPort(host, port)}`;
  switch (code) {
    case 'EADDRINUSE':
      return new RuntimeError(`cannot listen on ${where}: port ${port} is already in use`);
    case 'EACCES':
      return new RuntimeError(
        port < 1024
          ? `cannot listen on ${where}: permission denied (port ${port} is below 1024: that needs root or CAP_NET_BIND_SERVICE)`
          : `cannot listen on ${where}: permission denied`,
      );
    case 'EADDRNOTAVAIL':
      return new RuntimeError(`cannot listen on ${where}: ${host} is not an address of this machine`);
    default:
      return new RuntimeError(`cannot listen on ${where}: ${reasonOf(error)}`);
  }
}

/** Listens for knocks on one port: onKnock(source address) per connection or datagram. */
export type ListenKnock = (knock: DoorKnock, host: string, onKnock: (src: string) => void) => Promise<Closable>;

export const listenKnock: ListenKnock = (knock, host, onKnock) => (knock.proto === 'tcp' ? listenTcp(host, knock.port, onKnock) : listenUdp(host, knock.port, (src) => onKnock(src)));

/**
 * A TCP knock is a connection: the listener completes the handshake, we count it and drop it
 * at once. Knocks are seen in the order their sockets became ready (epoll is first-in first-out),
 * so back-to-back knocks on distinct ports keep their order; but a listener accepts everything
 * queued on it at once, so a burst that hits the same port twice within about a millisecond can
 * be seen out of order (knock(1) -d 0 with repeated ports). Real clients space their knocks.
 */
export function listenTcp(host: string, port: number, onKnock: (src: string) => void): Promise<Closable> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    const src = normalizeAddress(socket.remoteAddress);
    socket.destroy();
    // Reset before we looked: the peer's address is gone with it, so the knock cannot be attributed.
    if (src) onKnock(src);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(bindError(error, 'tcp', host, port)));
    server.listen({ host, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve({ close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

export function listenUdp(host: string, port: number, onDatagram: (src: string, payload: Buffer) => void): Promise<Closable> {
  const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  socket.on('message', (msg, rinfo) => onDatagram(normalizeAddress(rinfo.address), msg));
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      try {
        socket.close();
      } catch {
        // never bound
      }
      reject(bindError(error, 'udp', host, port));
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve({ close: () => new Promise((r) => socket.close(() => r())) });
    });
  });
}

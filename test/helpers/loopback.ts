// Real peers on loopback for end-to-end tests: UDP sockets and TCP listeners on ephemeral
// ports that record, in one list, every datagram and connection in the order they arrive.
import dgram from 'node:dgram';
import net from 'node:net';

export interface Arrival {
  proto: 'udp' | 'tcp';
  /** The local address and port that received it. */
  address: string;
  port: number;
  /** UDP payload, hex. */
  payload?: string;
  at: bigint;
}

export class LoopbackPeers {
  readonly arrivals: Arrival[] = [];
  private closers: (() => Promise<void>)[] = [];

  /** A UDP socket bound on `address` (127.0.0.1 or ::1) with an ephemeral port. */
  async udp(address = '127.0.0.1'): Promise<number> {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    socket.on('message', (msg) => this.arrivals.push({ proto: 'udp', address, port: socket.address().port, payload: msg.toString('hex'), at: process.hrtime.bigint() }));
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    this.closers.push(() => new Promise((resolve) => socket.close(() => resolve())));
    return socket.address().port;
  }

  /** A TCP listener on `address` with an ephemeral port; each accepted connection is one arrival. */
  async tcp(address = '127.0.0.1'): Promise<number> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.resume();
    });
    server.on('connection', () => this.arrivals.push({ proto: 'tcp', address, port: (server.address() as net.AddressInfo).port, at: process.hrtime.bigint() }));
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    this.closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return (server.address() as net.AddressInfo).port;
  }

  /** A port on `address` where nothing listens (bound, then released). */
  async closedTcpPort(address = '127.0.0.1'): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  /** The arrivals after stragglers have had `ms` to come in. */
  async settle(ms = 150): Promise<Arrival[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.arrivals;
  }

  clear(): void {
    this.arrivals.length = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.closers.map((close) => close()));
    this.closers = [];
  }
}

/** Arrivals as short labels for toEqual: "udp 127.0.0.1:5000 00", "tcp ::1:6000". */
export const labels = (arrivals: Arrival[]) =>
  arrivals.map((a) => `${a.proto} ${a.address}:${a.port}${a.payload !== undefined ? ` ${a.payload}` : ''}`);

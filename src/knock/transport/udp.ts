// A UDP knock: exactly one datagram (knock(1)'s single 0x00 byte, or the knock's payload) from a
// fresh socket, with the plan's source address and TTL.
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Armed, Destination, Outcome } from './transport.js';

export async function armUdp(port: number, to: Destination, payload: Buffer = Buffer.of(0)): Promise<Armed> {
  // An unconnected socket of the address's family: ICMP port-unreachable never surfaces.
  // Bound ahead of time, so that send() is not queued behind an implicit bind.
  // Loaded on first use: most runs need no UDP, and every start-up pays for what it imports.
  const { default: dgram } = await import('node:dgram');
  const socket = dgram.createSocket(to.family === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, to.source, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new RuntimeError(`cannot open a UDP socket${to.source ? ` on ${to.source}` : ''}: ${reasonOf(error)}`);
  });
  if (to.ttl !== undefined) {
    try {
      // libuv sets IP_TTL, or IPV6_UNICAST_HOPS on a udp6 socket.
      socket.setTTL(to.ttl);
    } catch (error) {
      socket.close();
      throw new RuntimeError(`cannot set TTL ${to.ttl} on a UDP knock: ${reasonOf(error)}`);
    }
  }
  return {
    cancel: () => socket.close(),
    fire() {
      let outcome!: Promise<Outcome>;
      const sent = new Promise<void>((resolve) => {
        // Close only in the callback: closing in the same tick drops the datagram.
        outcome = new Promise<Outcome>((settle) => {
          socket.send(payload, port, to.address, (error) => {
            resolve();
            socket.close();
            // The socket is unconnected, so an error here is always the local kernel's: not sent.
            settle(error ? { result: 'not-sent', detail: (error as NodeJS.ErrnoException).code ?? reasonOf(error) } : { result: 'sent' });
          });
        });
      });
      // Nothing to wait for: the socket closes as the datagram leaves.
      return { sent, outcome, release() {} };
    },
  };
}

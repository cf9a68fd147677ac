// A UDP knock: exactly one datagram (knock(1)'s single 0x00 byte) from a fresh socket.
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Armed, Destination, Outcome } from './transport.js';

export async function armUdp(port: number, to: Destination): Promise<Armed> {
  // An unconnected socket of the address's family: ICMP port-unreachable never surfaces.
  // Bound ahead of time, so that send() is not queued behind an implicit bind.
  // Loaded on first use: most runs need no UDP, and every start-up pays for what it imports.
  const { default: dgram } = await import('node:dgram');
  const socket = dgram.createSocket(to.family === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new RuntimeError(`cannot open a UDP socket: ${reasonOf(error)}`);
  });
  return {
    cancel: () => socket.close(),
    fire() {
      let outcome!: Promise<Outcome>;
      const sent = new Promise<void>((resolve) => {
        // knock(1) sends a one-byte 0x00 payload. Close only in the callback: closing in the
        // same tick drops the datagram.
        outcome = new Promise<Outcome>((settle) => {
          socket.send(Buffer.of(0), port, to.address, (error) => {
            resolve();
            socket.close();
            // The socket is unconnected, so an error here is always the local kernel's: not sent.
            settle(error ? { result: 'not-sent', detail: (error as NodeJS.ErrnoException).code ?? reasonOf(error) } : { result: 'sent' });
          });
        });
      });
      return { sent, outcome };
    },
  };
}

// A UDP knock: exactly one datagram (knock(1)'s single 0x00 byte, or the knock's payload) from a
// fresh socket, with the plan's source address and TTL.
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Armed, Destination, Outcome } from './transport.js';
import { TCP_SETTLE_MS } from './tcp.js';

export async function armUdp(port: number, to: Destination, payload: Buffer = Buffer.of(0)): Promise<Armed> {
  // A socket of the address's family, connected to the knock's address: connect(2) on UDP sends
  // nothing, and lets the kernel hand back an ICMP port-unreachable (ECONNREFUSED) or host/net
  // unreachable for this datagram as an 'error' event.
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
  // connect(2) fails at once where the kernel has no route (ENETUNREACH): as for a send that
  // fails, that knock is not-sent when its turn comes, and the knocks around it still go.
  // Node hands a connect error to the callback, not to 'error'.
  const unconnected = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    socket.connect(port, to.address, ((error?: NodeJS.ErrnoException) => resolve(error)) as () => void);
  });
  return {
    cancel: () => socket.close(),
    fire() {
      if (unconnected) {
        socket.close();
        const outcome = { result: 'not-sent' as const, detail: unconnected.code ?? reasonOf(unconnected) };
        return { sent: Promise.resolve(), outcome: Promise.resolve(outcome), release: () => {} };
      }
      let outcome!: Promise<Outcome>;
      let release = () => {};
      const sent = new Promise<void>((resolve) => {
        outcome = new Promise<Outcome>((settle) => {
          let timer: NodeJS.Timeout | undefined;
          let closed = false;
          const done = (result: Outcome) => {
            clearTimeout(timer);
            if (!closed) {
              closed = true;
              socket.close();
            }
            settle(result);
          };
          // What came back for the datagram: ICMP port-unreachable is ECONNREFUSED (the port is
          // closed, as a TCP RST), host or network unreachable the others. Handled, never thrown.
          socket.on('error', (error: NodeJS.ErrnoException) => {
            if (error.code === 'ECONNREFUSED') done({ result: 'refused' });
            else done({ result: 'unreachable', detail: error.code ?? error.message });
          });
          release = () => done({ result: 'sent' });
          // Close only after the callback: closing in the same tick drops the datagram.
          socket.send(payload, (error) => {
            resolve();
            // An error in the callback is the local kernel's: the datagram never left.
            if (error) done({ result: 'not-sent', detail: (error as NodeJS.ErrnoException).code ?? reasonOf(error) });
            else timer = setTimeout(() => done({ result: 'sent' }), TCP_SETTLE_MS);
          });
        });
      });
      // Once the run stops listening, the socket closes: silence from UDP is simply 'sent'.
      return { sent, outcome, release: () => release() };
    },
  };
}

// A TCP knock: exactly one SYN (connect, then close while still in SYN_SENT: nothing follows).
import net from 'node:net';
import type { Armed, Destination, Outcome } from './transport.js';

/**
 * How long a TCP knock waits for a RST or SYN-ACK before closing. Closing a socket still in
 * SYN_SENT is silent; it must happen well before the kernel's first retransmit (~1 s).
 */
export const TCP_SETTLE_MS = 150;

let warmedUp: Promise<void> | undefined;

/**
 * A process's first TCP connect runs cold code (~1.5 ms on Linux) between net.connect() and
 * the SYN, which made the first knock leave late. Run that code once before the sequence with
 * a connect to 255.255.255.255, which Linux refuses at once (ENETUNREACH) without sending
 * anything. Linux only: that is where "nothing is sent" has been checked.
 */
export function warmUpTcp(): Promise<void> {
  warmedUp ??= new Promise<void>((resolve) => {
    const socket = new net.Socket();
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 50);
    socket.once('error', done).once('connect', done);
    socket.connect({ host: '255.255.255.255', port: 9, family: 4, autoSelectFamily: false });
  });
  return warmedUp;
}

export function armTcp(port: number, to: Destination): Armed {
  // Made ahead: the process's first net.Socket costs milliseconds (lazy initialisation), which
  // would otherwise make the first TCP knock leave late.
  const socket = new net.Socket();
  return {
    cancel: () => socket.destroy(),
    fire() {
      // connect(2) runs in a tick of Node's (see below). When the kernel refuses it there and
      // then (no route, EPERM, EACCES), Node emits the error from a later tick of the same
      // batch; an ICMP error for a SYN that left can only be read from the socket afterwards,
      // in the event loop's I/O phase, after the microtasks that this batch of ticks ends with.
      let refusedLocally = true;
      process.nextTick(() => queueMicrotask(() => (refusedLocally = false)));
      socket.connect({ host: to.address, port, family: to.family, autoSelectFamily: false });
      // net.connect issues connect(2) on the next tick; once that tick has run, the SYN is out.
      const sent = new Promise<void>((resolve) => process.nextTick(resolve));
      const outcome = new Promise<Outcome>((resolve) => {
        const done = (outcome: Outcome) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(outcome);
        };
        const timer = setTimeout(() => done({ result: 'no-answer' }), TCP_SETTLE_MS);
        socket.once('connect', () => done({ result: 'accepted', detail: 'the port accepted the connection; a FIN followed the SYN' }));
        socket.once('error', (error: NodeJS.ErrnoException) => {
          if (refusedLocally) done({ result: 'not-sent', detail: error.code ?? error.message });
          else if (error.code === 'ECONNREFUSED') done({ result: 'refused' });
          else done({ result: 'unreachable', detail: error.code ?? error.message });
        });
      });
      return { sent, outcome };
    },
  };
}

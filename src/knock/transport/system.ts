// The real transport: each knock to the module of its protocol (TCP, UDP, ICMP). ICMP and the
// libc calls (TTLs) are loaded only by a knock that needs them.
import { armTcp, warmUpTcp } from './tcp.js';
import type { Transport } from './transport.js';
import { armUdp } from './udp.js';
import { payloadBytes } from '../tokens.js';

/** The process's own values (shared/io.ts reads them). */
export interface SystemTransportOptions {
  platform: NodeJS.Platform;
  /** PATH, for the system ping. */
  env: NodeJS.ProcessEnv;
  /** An ICMP echo's identifier, as ping's is its pid. */
  pid: number;
}

export function systemTransport(options: SystemTransportOptions): Transport {
  const { platform, env, pid } = options;
  return {
    async arm(knock, to) {
      switch (knock.protocol) {
        case 'tcp':
          if (platform === 'linux') await warmUpTcp();
          // koffi only for a TTL: Node cannot set one before connect.
          return armTcp(knock.port, to, {
            ...(knock.connect ? { connect: true } : {}),
            ...(to.ttl !== undefined ? { calls: await (await import('./libc.js')).posixSocketCalls(platform) } : {}),
          });
        case 'udp':
          return armUdp(knock.port, to, payloadBytes(knock.payload));
        case 'icmp':
          return (await import('./icmp.js')).armIcmp(knock.size, to, { platform, env, pid });
      }
    },
  };
}

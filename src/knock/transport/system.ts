// The real transport: each knock to the module of its protocol (TCP, UDP, ICMP).
import { armIcmp } from './icmp.js';
import { posixSocketCalls } from './libc.js';
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
            ...(to.ttl !== undefined ? { calls: await posixSocketCalls(platform) } : {}),
          });
        case 'udp':
          return armUdp(knock.port, to, payloadBytes(knock.payload));
        case 'icmp':
          return armIcmp(knock.size, to, { platform, env, pid });
      }
    },
  };
}

// The one Transport interface every protocol's knock goes through: arm a knock ahead of the
// sequence, fire it on time, and learn what (if anything) came back.
import type { Knock } from '../tokens.js';

/**
 * 'not-sent': the local kernel refused to send it (no route, EPERM, EACCES, ...): the packet
 * never left. 'unreachable': it left and an ICMP unreachable came back, a normal outcome.
 */
export type KnockResult = 'refused' | 'accepted' | 'no-answer' | 'reply' | 'sent' | 'unreachable' | 'not-sent';

export interface Outcome {
  result: KnockResult;
  detail?: string;
}

export interface Shot {
  /** Resolves once the packet has left (the syscall is done): the next knock may go. */
  sent: Promise<void>;
  /** What came back, if anything; always resolves. */
  outcome: Promise<Outcome>;
}

/** A knock made ready before the sequence starts, so that firing it costs microseconds. */
export interface Armed {
  fire(): Shot;
  cancel(): void;
}

export interface Destination {
  address: string;
  family: 4 | 6;
}

export interface Transport {
  arm(knock: Knock, to: Destination): Promise<Armed>;
}

// The sequence lock under contention, on the wire: N runs of `knock -v -d 20 HOST P:udp
// P+1:udp P+2:udp` at once (each its own ports), tcpdump at the server, and each run's three
// datagrams counted as interleaved when another run's datagram falls between them. Shared by the
// namespace test (a few rounds) and scripts/lock-contention.mjs-style manual runs (more rounds).
import type { Packet } from './netns.js';

export interface ContentionRound {
  /** Runs whose three datagrams were not consecutive at the server. */
  interleaved: number;
  /** Datagrams seen at the server (3 per run when none was lost). */
  seen: number;
  /** Exit codes other than 0, with their stderr. */
  failures: string[];
}

/** The first port of run i: three ports each, from `base`. */
export const portsOf = (base: number, i: number): [number, number, number] => [base + 3 * i, base + 3 * i + 1, base + 3 * i + 2];

/** Counts the runs whose datagrams another run's datagram came between, in capture order. */
export function interleavedRuns(packets: readonly Packet[], base: number, runs: number): number {
  const owner = (port: number) => Math.floor((port - base) / 3);
  const order = packets.filter((p) => p.proto === 'udp' && p.dport !== undefined && p.dport >= base && p.dport < base + 3 * runs).map((p) => owner(p.dport!));
  let interleaved = 0;
  for (let run = 0; run < runs; run++) {
    const at = order.flatMap((o, i) => (o === run ? [i] : []));
    if (at.length > 0 && at[at.length - 1]! - at[0]! !== at.length - 1) interleaved++;
  }
  return interleaved;
}

// Types of lock-contention.mjs, for the namespace e2e test that runs a few of its rounds.
import type { CapturedPacket } from './pcap.mjs';

export interface Destination {
  name: string;
  wire: string;
  ping: string[];
  spellings: string[];
}
export const DESTINATIONS: readonly Destination[];
export const CLIENT_LINK_LOCAL: string;
export const SERVER_LINK_LOCAL: string;
export function portsOf(base: number, i: number): [number, number, number];

export interface RoundResult {
  destination: string;
  spellings: string[];
  runs: number;
  expected: number;
  seen: number;
  missing: number[];
  extra: string[];
  interleaved: number;
  outOfOrder: number;
  failures: string[];
  notSent: string[];
  waited: number;
  sentinelSeen: boolean;
  tcpdump: { captured: number; received: number; dropped: number };
  textWithoutUdp: string[];
  counters: { client: Record<string, number>; server: Record<string, number> };
}

export class ContentionLab {
  constructor(prefix: string, knock: string);
  readonly lab: { client: string; server: string; exec(ns: string, args: string[]): string };
  round(options: { runs: number; base: number; destination: Destination; delayMs?: number; neighbours?: 'flushed' | 'resolved' }): Promise<RoundResult>;
  destroy(): void;
}
export function analyse(packets: CapturedPacket[], base: number, runs: number): Pick<RoundResult, 'expected' | 'seen' | 'missing' | 'extra' | 'interleaved' | 'outOfOrder'>;

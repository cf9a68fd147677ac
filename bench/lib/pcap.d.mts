// Types of pcap.mjs, for the TypeScript tests that read captures with it.
export interface CapturedPacket {
  /** seconds, from the capture's own timestamp */
  time: number;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'arp' | 'other';
  src: string;
  /** IPv6 in lower-case hex groups, zeros not compressed (2001:db8:0:1:0:0:0:2) */
  dst: string;
  sport?: number;
  dport?: number;
}
export function readPcap(bytes: Buffer): CapturedPacket[];

// An ICMP knock from our own socket (Linux, macOS): one echo request as ping builds it, sent
// by a synchronous sendto() at the deadline, with no process to start.
import {
  AF_INET,
  CONSTANTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  SOCK_DGRAM,
  SOCK_RAW,
  sockaddr,
  type SocketCalls,
} from './libc.js';
import type { Destination } from './transport.js';
import { zoneOf } from '../../shared/zone.js';

/**
 * Echo data as iputils ping writes it: byte i is i (mod 256), and when there is room for it,
 * the first 16 bytes are the send time as a struct timeval (64-bit, little-endian).
 */
export function pingPayload(size: number, nowMs: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i & 0xff;
  if (size >= 16) {
    data.writeBigInt64LE(BigInt(Math.floor(nowMs / 1000)), 0);
    data.writeBigInt64LE(BigInt(Math.floor((nowMs % 1000) * 1000)), 8);
  }
  return data;
}

/** The Internet checksum (RFC 1071) of `data`. */
export function internetChecksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request: type 8 (ICMPv6: 128), code 0, checksum, identifier, sequence, data. The
 * ICMPv6 checksum covers a pseudo-header with the source address, which only the kernel
 * knows: it fills that one in (mandatory for ICMPv6 sockets on Linux and macOS).
 */
export function echoRequest(family: 4 | 6, identifier: number, sequence: number, data: Buffer): Buffer {
  const packet = Buffer.alloc(8 + data.length);
  packet.writeUInt8(family === 6 ? 128 : 8, 0);
  packet.writeUInt16BE(identifier & 0xffff, 4);
  packet.writeUInt16BE(sequence & 0xffff, 6);
  data.copy(packet, 8);
  if (family === 4) packet.writeUInt16BE(internetChecksum(packet), 2);
  return packet;
}

/** The identifier, sequence and type of an echo reply in what recv() gave, if it is one. */
export function parseEchoReply(family: 4 | 6, bytes: Buffer): { identifier: number; sequence: number } | undefined {
  // Raw IPv4 sockets (and macOS datagram ones) hand over the IP header too.
  const offset = family === 4 && bytes.length >= 20 && bytes[0]! >> 4 === 4 ? (bytes[0]! & 0x0f) * 4 : 0;
  if (bytes.length < offset + 8) return undefined;
  if (bytes[offset] !== (family === 6 ? 129 : 0)) return undefined;
  return { identifier: bytes.readUInt16BE(offset + 4), sequence: bytes.readUInt16BE(offset + 6) };
}

const MAX_READS_PER_POLL = 64;
/** No such device: the errno for a zone's interface that is gone. */
const ENODEV = 19;

export interface IcmpSocket {
  kind: 'datagram' | 'raw';
  fd: number;
  /** Sends the echo request now; undefined on success, else the errno. */
  send(): number | undefined;
  /** True once the reply to our echo has arrived (checked without blocking). */
  replied(): boolean;
  close(): void;
}

/** Why no ICMP socket could be opened: the errno of the last attempt. */
export class IcmpSocketError extends Error {
  constructor(readonly errno: number) {
    super(`cannot open an ICMP socket (errno ${errno})`);
  }
}

/**
 * Opens a socket for one echo to `to`: an ICMP datagram socket where the OS lets anyone
 * (Linux inside ping_group_range, macOS always), else a raw one (root or CAP_NET_RAW); sets
 * the TTL or hop limit and binds the source, all before the deadline.
 */
export function openIcmpSocket(calls: SocketCalls, to: Destination, size: number, pid: number, now: () => number = Date.now): IcmpSocket {
  const c = CONSTANTS[calls.platform];
  const domain = to.family === 6 ? c.AF_INET6 : AF_INET;
  const protocol = to.family === 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  let kind: IcmpSocket['kind'] = 'datagram';
  let fd = calls.socket(domain, SOCK_DGRAM | c.SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    kind = 'raw';
    fd = calls.socket(domain, SOCK_RAW | c.SOCK_CLOEXEC, protocol);
  }
  if (fd < 0) throw new IcmpSocketError(calls.errno());
  const fail = () => {
    const errno = calls.errno();
    calls.close(fd);
    return new IcmpSocketError(errno);
  };
  if (to.ttl !== undefined) {
    const [level, name] = to.family === 6 ? [IPPROTO_IPV6, c.IPV6_UNICAST_HOPS] : [IPPROTO_IP, c.IP_TTL];
    if (calls.setsockoptInt(fd, level, name, to.ttl) < 0) throw fail();
  }
  // A zone (by now an interface name) goes in as its index, or a link-local echo takes the
  // first link the kernel finds; none by that name now (it went away): not this way.
  const scope = (address: string) => {
    const zone = zoneOf(address);
    if (zone === undefined || !calls.ifIndex) return 0;
    const index = calls.ifIndex(zone);
    if (index === 0) {
      calls.close(fd);
      throw new IcmpSocketError(ENODEV);
    }
    return index;
  };
  if (to.source !== undefined && calls.bind(fd, sockaddr(calls.platform, to.source, 0, scope(to.source))) < 0) throw fail();
  const destination = sockaddr(calls.platform, to.address, 0, scope(to.address));
  // ping's identifier is its pid; a Linux datagram socket puts its own in (its "port").
  const identifier = pid & 0xffff;
  const sequence = 1;
  const buffer = Buffer.alloc(65536);
  let sentIdentifier: number | undefined;
  let closed = false;
  return {
    kind,
    fd,
    send() {
      // Built at the deadline, so that its timestamp is the send time, as ping's is.
      const packet = echoRequest(to.family, identifier, sequence, pingPayload(size, now()));
      if (calls.sendto(fd, packet, destination) < 0) return calls.errno();
      sentIdentifier = identifier;
      return undefined;
    },
    replied() {
      if (closed || sentIdentifier === undefined) return false;
      // Bounded: a flood of other ICMP packets on a raw socket must not hold the event loop.
      for (let reads = 0; reads < MAX_READS_PER_POLL; reads++) {
        const n = calls.recvNow(fd, buffer);
        if (n < 0) return false;
        const reply = parseEchoReply(to.family, buffer.subarray(0, n));
        // A datagram socket only ever sees its own replies; a raw one sees every ICMP packet.
        if (reply && reply.sequence === sequence && (kind === 'datagram' || reply.identifier === sentIdentifier)) return true;
      }
      return false;
    },
    close() {
      if (closed) return;
      closed = true;
      calls.close(fd);
    },
  };
}

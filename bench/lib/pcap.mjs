// Reads a capture file that tcpdump -w wrote (classic pcap, Ethernet): each packet's addresses,
// protocol and ports from its bytes. Counting what arrived from the bytes, not from tcpdump's
// text: tcpdump decodes UDP by port number, and a datagram from source port 49152 prints as
// "BCM-LI (length 1 < 4) (invalid)", a line without "UDP" that a text parser loses.

const LINKTYPE_ETHERNET = 1;

/**
 * The packets of a pcap file's bytes, in capture order. A record cut short (tcpdump still
 * writing) ends the list: what came before it is whole.
 */
export function readPcap(bytes) {
  if (bytes.length < 24) return [];
  const magic = bytes.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && bytes.readUInt32BE(0) !== 0xa1b2c3d4 && bytes.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const u32 = (at) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const nano = (little ? magic : bytes.readUInt32BE(0)) === 0xa1b23c4d;
  const linktype = u32(20);
  if (linktype !== LINKTYPE_ETHERNET) throw new Error(`pcap link type ${linktype}, not Ethernet`);
  const packets = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const length = u32(at + 8);
    if (at + 16 + length > bytes.length) break;
    const time = u32(at) + u32(at + 4) / (nano ? 1e9 : 1e6);
    packets.push({ time, ...decodeEthernet(bytes.subarray(at + 16, at + 16 + length)) });
    at += 16 + length;
  }
  return packets;
}

function decodeEthernet(frame) {
  let type = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
  let at = 14;
  if (type === 0x8100 && frame.length >= 18) [type, at] = [frame.readUInt16BE(16), 18];
  if (type === 0x0800 && frame.length >= at + 20) {
    const headerLength = (frame[at] & 0x0f) * 4;
    return transport(frame, frame[at + 9], at + headerLength, [...frame.subarray(at + 12, at + 16)].join('.'), [...frame.subarray(at + 16, at + 20)].join('.'));
  }
  if (type === 0x86dd && frame.length >= at + 40) {
    return transport(frame, frame[at + 6], at + 40, ipv6Text(frame.subarray(at + 8, at + 24)), ipv6Text(frame.subarray(at + 24, at + 40)));
  }
  return { proto: type === 0x0806 ? 'arp' : 'other', src: '', dst: '' };
}

function transport(frame, protocol, at, src, dst) {
  const proto = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp6' }[protocol] ?? 'other';
  if ((proto !== 'udp' && proto !== 'tcp') || frame.length < at + 4) return { proto, src, dst };
  return { proto, src, dst, sport: frame.readUInt16BE(at), dport: frame.readUInt16BE(at + 2) };
}

/** Lower-case hex groups, zeros not compressed: compared against addresses written the same way. */
function ipv6Text(bytes) {
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
}

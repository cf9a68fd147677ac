// A one-packet pcap file (Ethernet + IPv4 + UDP) holding an SPA payload: fwknopd reads it with
// --pcap-file, which lets tests check our packets against the real daemon without a network.

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function spaPcap(payload: string, source: string, destination: string, port: number, timeSeconds: number): Buffer {
  const data = Buffer.from(payload, 'latin1');
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(port, 2);
  udp.writeUInt16BE(8 + data.length, 4);
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 8 + data.length, 2);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(17, 9);
  Buffer.from(source.split('.').map(Number)).copy(ip, 12);
  Buffer.from(destination.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const eth = Buffer.concat([Buffer.alloc(12, 0x02), Buffer.from([0x08, 0x00])]);
  const frame = Buffer.concat([eth, ip, udp, data]);
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20);
  const record = Buffer.alloc(16);
  record.writeUInt32LE(timeSeconds >>> 0, 0);
  record.writeUInt32LE(frame.length, 8);
  record.writeUInt32LE(frame.length, 12);
  return Buffer.concat([global, record, frame]);
}

// IP addresses as bytes and in one spelling: the wire, /proc/net and the sequence lock agree.
import { isIP } from './ip.js';

/** `host:port` as messages and URLs write it: an IPv6 address (with or without %zone) in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The 4 or 16 bytes of an IP address, as they go on the wire (an IPv6 %zone is not part of them). */
export function addressBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new Error(`not an IP address: ${address}`);
  let text = address.replace(/%.*$/, '');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * One spelling per address: IPv4 dotted; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, which
 * reaches the same host) as its IPv4; other IPv6 lower case, zeros compressed (RFC 5952). The
 * %zone is dropped: fe80::1%eth0 and fe80::1 name one address (a sequence lock keyed on it
 * serializes the same address on two links too, which is safe). Anything else is returned as is.
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) === 0) return address;
  const bytes = addressBytes(address);
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return [...bytes.subarray(12)].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // The longest run of two or more zero groups (the first of equals) becomes '::'.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * Why an address cannot take a knock meant for one host, or undefined: a multicast group
 * (224.0.0.0/4, ff00::/8) or the IPv4 limited broadcast reaches every host that listens, and the
 * unspecified address reaches none. One rule for the knock path, lint and serve's --bind.
 */
export function notOneHost(address: string): string | undefined {
  if (isIP(address) === 0) return undefined;
  const bytes = addressBytes(canonicalAddress(address));
  if (bytes.length === 4) {
    if (bytes[0]! >= 224 && bytes[0]! <= 239) return 'a multicast address (224.0.0.0/4): every host in the group would see the knock';
    if (bytes.every((b) => b === 255)) return 'the broadcast address: every host on the link would see the knock';
    if (bytes.every((b) => b === 0)) return 'the unspecified address (0.0.0.0): it names no host';
    return undefined;
  }
  if (bytes[0] === 0xff) return 'a multicast address (ff00::/8): every host in the group would see the knock';
  if (bytes.every((b) => b === 0)) return 'the unspecified address (::): it names no host';
  return undefined;
}

// Which strings are IP addresses, exactly as Node's net.isIP/isIPv4/isIPv6 answer (an IPv6
// address with a %zone included), without loading net: net brings Node's streams with it,
// milliseconds of every knock's start-up (test/unit/shared/ip.test.ts holds the two equal).

/** Dotted decimal: four numbers 0-255, each without a leading zero. */
export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every(isByte);
}

function isByte(part: string): boolean {
  if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part[0] === '0')) return false;
  return Number(part) <= 255;
}

const GROUP = /^[0-9A-Fa-f]{1,4}$/;
/** A zone as Node takes it: one or more letters, digits, '-', '.' or ':'. */
const ZONE = /^[0-9A-Za-z.:-]+$/;

/** Eight groups of up to four hex digits (an IPv4 tail counts two), one '::' for one or more zero groups, an optional %zone. */
export function isIPv6(text: string): boolean {
  const at = text.indexOf('%');
  if (at >= 0 && !ZONE.test(text.slice(at + 1))) return false;
  const address = at >= 0 ? text.slice(0, at) : text;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const [head = '', tail] = halves;
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const last = tail === undefined ? left : right;
  // Only the address's very last group may be an IPv4 address.
  const v4 = last.length > 0 && last[last.length - 1]!.includes('.');
  if (v4 && !isIPv4(last.pop()!)) return false;
  if (![...left, ...right].every((group) => GROUP.test(group))) return false;
  const groups = left.length + right.length + (v4 ? 2 : 0);
  // Without '::', all eight groups are written out.
  if (tail === undefined) return head !== '' && groups === 8;
  return groups <= 7;
}

/** 4, 6, or 0 for anything else, as net.isIP. */
export function isIP(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

// Knock tokens ("7000", "8000:udp", "7000:connect", "icmp:64", or {port, protocol, delay, payload})
// parsed into knocks.
import { ConfigError, UsageError } from '../shared/errors.js';
import { shownValue } from '../shared/printable.js';

export type Protocol = 'tcp' | 'udp' | 'icmp';
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'icmp'];

export type Knock =
  | {
      protocol: 'tcp' | 'udp';
      port: number;
      delay?: number;
      /** TCP only: complete the handshake, then close (for networks whose proxies forward only then). */
      connect?: true;
      /** UDP only: the datagram's bytes as written, `hex:...` or `text:...` (default one 0x00 byte). */
      payload?: string;
    }
  | { protocol: 'icmp'; size: number; delay?: number };

/**
 * The largest UDP payload: 1280 (IPv6's minimum MTU) - 40 - 8, so a knock is one packet on any
 * path. A fragmented datagram would be two packets, and knock servers see the first only.
 */
export const MAX_UDP_PAYLOAD = 1232;

/** ping's default payload, used for a bare `icmp` token. */
export const DEFAULT_ICMP_SIZE = 56;
/**
 * The largest echo payload that leaves as one packet on either family over an Ethernet MTU of
 * 1500 (1500 - 40 - 8 for IPv6; IPv4 would carry 1472): a larger one leaves in fragments, which
 * a server counting packets sees as several knocks, or none. knock cannot learn the path MTU
 * before the first packet, and a host may be knocked over both families, so one bound for both.
 */
export const MAX_ICMP_SIZE = 1452;

const TOKEN_HELP = 'expected PORT, PORT:tcp, PORT:udp, PORT:connect, icmp or icmp:SIZE';

/** `what` names where the value came from when the message has no other context. */
const inWhat = (what: string | undefined) => (what ? ` in ${what}` : '');

/** The one rule for a TCP or UDP port, wherever one comes from: a whole number 1-65535. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * A port as typed on a command line or written in a file: digits only (Number() would also take
 * "0x16", "1e1" and " "), then isPort(). `what` leads the message: `--wait: 'x' is not a port number (1-65535)`.
 */
export function parsePortText(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !isPort(Number(t))) throw new UsageError(`${what} '${t}' is not a port number (1-65535)`);
  return Number(t);
}

export function checkPort(port: number, what?: string): number {
  if (!isPort(port)) {
    throw new UsageError(`port ${port}${inWhat(what)} is out of range (1-65535)`);
  }
  return port;
}

export function checkIcmpSize(size: number, what?: string): number {
  if (!Number.isInteger(size) || size < 0 || size > MAX_ICMP_SIZE) {
    throw new UsageError(`ICMP size ${size}${inWhat(what)} is out of range (0-${MAX_ICMP_SIZE}: larger leaves as more than one packet on a 1500-byte MTU)`);
  }
  return size;
}

/** An hour: beyond that no server remembers a sequence, and timers overflow long before 2^31 ms. */
export const MAX_DELAY_MS = 3_600_000;
/** The longest server window knock accepts, s. */
export const MAX_SEQ_TIMEOUT_S = 3600;
/** More knocks than any server recipe uses; a bound on what one command can send. */
export const MAX_KNOCKS = 256;
/** A whole sequence, first knock to last, ms. */
export const MAX_SEQUENCE_MS = 3_600_000;


export function checkDelay(delay: unknown, what?: string): number {
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0 || delay > MAX_DELAY_MS) {
    throw new UsageError(`delay ${shownValue(delay)}${inWhat(what)} must be a number of milliseconds from 0 to ${MAX_DELAY_MS} (1 h)`);
  }
  return delay;
}

/** An IP TTL or IPv6 hop limit. */
/** The one rule for an IP TTL / IPv6 hop limit: a whole number 1-255. */
export function isTtl(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 255;
}

export function checkTtl(ttl: unknown, what?: string): number {
  if (!isTtl(ttl)) {
    throw new UsageError(`TTL ${typeof ttl === 'number' ? ttl : JSON.stringify(ttl)}${inWhat(what)} is out of range (1-255)`);
  }
  return ttl;
}

export function checkSeqTimeout(value: unknown, what?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_SEQ_TIMEOUT_S) {
    throw new UsageError(`seq_timeout ${shownValue(value)}${inWhat(what)} must be a number of seconds > 0 and <= ${MAX_SEQ_TIMEOUT_S}`);
  }
  return value;
}

/** Refuses a sequence too long to be a knock: too many knocks, or more than an hour end to end. */
export function checkSequence(knocks: readonly Knock[], delay: number, what?: string): void {
  if (knocks.length > MAX_KNOCKS) throw new UsageError(`${knocks.length} knocks${inWhat(what)}: a sequence has at most ${MAX_KNOCKS}`);
  const total = knocks.slice(0, -1).reduce((sum, k) => sum + (k.delay ?? delay), 0);
  if (total > MAX_SEQUENCE_MS) {
    throw new UsageError(`the sequence${inWhat(what)} takes ${total} ms: at most ${MAX_SEQUENCE_MS} ms (1 h) from first knock to last`);
  }
}

function checkProtocol(protocol: string, what?: string): Protocol {
  const p = protocol.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(p)) {
    throw new UsageError(`unknown protocol '${protocol}'${inWhat(what)} (tcp, udp or icmp)`);
  }
  return p as Protocol;
}

/**
 * Parses one knock token. A bare port takes `defaultProtocol` (knock(1)'s -u makes it UDP);
 * an explicit `:tcp` or `:udp` always wins.
 */
export function parseKnockToken(token: string, defaultProtocol: 'tcp' | 'udp' = 'tcp'): Knock {
  const what = `'${token}'`;
  const text = token.trim();
  const icmp = /^icmp(?::(.*))?$/i.exec(text);
  if (icmp) {
    const sizeText = icmp[1];
    if (sizeText === undefined) return { protocol: 'icmp', size: DEFAULT_ICMP_SIZE };
    if (!/^-?\d+$/.test(sizeText)) throw new UsageError(`ICMP size '${sizeText}' in ${what} is not a number`);
    return { protocol: 'icmp', size: checkIcmpSize(Number(sizeText), what) };
  }
  const m = /^(-?\d+)(?::([A-Za-z0-9]*))?$/.exec(text);
  if (!m) throw new UsageError(`${what} is not a knock (${TOKEN_HELP})`);
  // "port 99999 is out of range", not "port 99999 in '99999'": the token adds nothing then.
  const port = checkPort(Number(m[1]), m[2] === undefined && m[1] === text ? undefined : what);
  if (m[2]?.toLowerCase() === 'connect') return { protocol: 'tcp', port, connect: true };
  const protocol = m[2] === undefined ? defaultProtocol : checkProtocol(m[2], what);
  if (protocol === 'icmp') throw new UsageError(`${what}: ICMP has no port (write icmp or icmp:SIZE)`);
  return { protocol, port };
}

/** Parses one entry of a profile sequence: a number, a token string, or the object form. */
export function parseKnockEntry(entry: unknown, what: string): Knock {
  try {
    if (typeof entry === 'number') return { protocol: 'tcp', port: checkPort(entry) };
    if (typeof entry === 'string') return parseKnockToken(entry);
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      return parseKnockObject(entry as Record<string, unknown>, what);
    }
  } catch (error) {
    if (error instanceof UsageError) throw new ConfigError(`${what}: ${error.message}`);
    throw error;
  }
  throw new ConfigError(`${what}: ${JSON.stringify(entry)} is not a knock (${TOKEN_HELP}, or {port, protocol, delay})`);
}

const OBJECT_KEYS = ['port', 'protocol', 'proto', 'size', 'delay', 'connect', 'payload'];

function parseKnockObject(entry: Record<string, unknown>, what: string): Knock {
  for (const key of Object.keys(entry)) {
    if (!OBJECT_KEYS.includes(key)) throw new UsageError(`unknown key '${key}' (${OBJECT_KEYS.join(', ')})`);
  }
  const rawProtocol = entry.protocol ?? entry.proto ?? (entry.port === undefined && entry.size !== undefined ? 'icmp' : 'tcp');
  if (typeof rawProtocol !== 'string') throw new UsageError(`protocol ${JSON.stringify(rawProtocol)} is not a string`);
  const protocol = checkProtocol(rawProtocol);
  const delay = entry.delay === undefined ? undefined : checkDelay(entry.delay);
  const withDelay = <K extends Knock>(knock: K): K => (delay === undefined ? knock : { ...knock, delay });
  if (entry.connect !== undefined && entry.connect !== true && entry.connect !== false) {
    throw new UsageError(`connect ${JSON.stringify(entry.connect)} must be true or false`);
  }
  if (entry.connect === true && protocol !== 'tcp') throw new UsageError(`a ${protocol} knock has no handshake to complete (connect is for TCP)`);
  if (entry.payload !== undefined && protocol !== 'udp') throw new UsageError(`a ${protocol} knock has no payload (payload is for UDP)`);
  if (protocol === 'icmp') {
    if (entry.port !== undefined) throw new UsageError('an ICMP knock has no port (give size)');
    const size = entry.size === undefined ? DEFAULT_ICMP_SIZE : entry.size;
    if (typeof size !== 'number') throw new UsageError(`ICMP size ${JSON.stringify(size)} is not a number`);
    return withDelay({ protocol, size: checkIcmpSize(size) });
  }
  if (entry.size !== undefined) throw new UsageError(`a ${protocol} knock has no size`);
  const port = typeof entry.port === 'string' && /^\d+$/.test(entry.port) ? Number(entry.port) : entry.port;
  if (typeof port !== 'number') throw new UsageError(`port ${JSON.stringify(entry.port)} is not a number`);
  const knock: Knock = { protocol, port: checkPort(port) };
  if (entry.connect === true) knock.connect = true;
  if (entry.payload !== undefined) knock.payload = checkPayload(entry.payload);
  return withDelay(knock);
}

/** A UDP payload as written (`hex:deadbeef`, `text:open sesame`), checked and normalised. */
export function checkPayload(value: unknown): string {
  if (typeof value !== 'string') throw new UsageError(`payload ${JSON.stringify(value)} must be a string, "hex:..." or "text:..."`);
  const m = /^(hex|text):(.*)$/is.exec(value);
  if (!m) throw new UsageError(`payload must start with hex: or text: (as in "hex:deadbeef")`);
  const kind = m[1]!.toLowerCase();
  const body = m[2]!;
  if (kind === 'hex' && !/^([0-9a-f]{2})*$/i.test(body)) throw new UsageError('payload hex: needs pairs of hex digits (as in "hex:deadbeef")');
  const normalised = kind === 'hex' ? `hex:${body.toLowerCase()}` : `text:${body}`;
  const size = payloadBytes(normalised).length;
  if (size > MAX_UDP_PAYLOAD) throw new UsageError(`payload of ${size} bytes is too long for one packet (at most ${MAX_UDP_PAYLOAD})`);
  return normalised;
}

/** The bytes a UDP knock sends: its payload, else knock(1)'s single 0x00 byte. */
export function payloadBytes(payload: string | undefined): Buffer {
  if (payload === undefined) return Buffer.of(0);
  return payload.startsWith('hex:') ? Buffer.from(payload.slice(4), 'hex') : Buffer.from(payload.slice(5), 'utf8');
}

/** A knock written back as its token, for messages, plans and the profile store. */
export function formatKnock(knock: Knock): string {
  if (knock.protocol === 'icmp') return knock.size === DEFAULT_ICMP_SIZE ? 'icmp' : `icmp:${knock.size}`;
  if (knock.connect) return `${knock.port}:connect`;
  return knock.protocol === 'tcp' ? String(knock.port) : `${knock.port}:${knock.protocol}`;
}

/**
 * A knock as the store writes it (add, import): a bare TCP port as a number, anything else as
 * its token (`7000:connect` stays one: a bare 7000 would lose the handshake).
 */
export function storedKnock(knock: Knock): number | string {
  return knock.protocol === 'tcp' && !knock.connect && knock.delay === undefined ? knock.port : formatKnock(knock);
}

/** The token and, where a sequence is shown in full, its payload: `8000:udp(hex:dead)`. */
export function formatKnockInFull(knock: Knock): string {
  return knock.protocol === 'udp' && knock.payload !== undefined ? `${formatKnock(knock)}(${knock.payload})` : formatKnock(knock);
}

/**
 * knockd's own list syntax, `7000,8000:udp,9000`, as pasted from knockd.conf: one knock per
 * part. A payload (`8000:udp(text:a,b)`) may hold commas, so such a word is left whole.
 */
export function splitKnockList(tokens: readonly (string | number)[]): string[] {
  return tokens.flatMap((token) => {
    const text = String(token);
    if (!text.includes(',') || text.includes('(')) return [text];
    const parts = text.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new UsageError(`'${text}': an empty knock between commas (knockd's form is 7000,8000:udp,9000; knock also takes them apart: 7000 8000:udp 9000)`);
    return parts;
  });
}

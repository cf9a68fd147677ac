// fwknop Single Packet Authorization (protocol 3.0.0, as fwknop 2.6.10 sends it):
// Rijndael (AES-256-CBC, OpenSSL "Salted__" format, EVP_BytesToKey MD5) plus an HMAC; the
// message digest and the HMAC each use one of fwknop's digest types (SHA256 by default).
// Node's crypto only. Every call to encodeSpaPacket makes a new packet (new salt, new random value):
// fwknopd drops a payload it has seen before as a replay.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from '../shared/ip.js';
import { ConfigError } from '../shared/errors.js';

export const SPA_VERSION = '3.0.0';
export const SPA_DEFAULT_PORT = 62201;
/** fwknopd drops payloads shorter than this, and classifies those of 400 bytes or more as GPG. */
export const SPA_MIN_PAYLOAD = 140;
export const SPA_MAX_RIJNDAEL_PAYLOAD = 399;
export const SPA_MAX_KEY_BYTES = 32;
export const SPA_MAX_HMAC_KEY_BYTES = 136;
/** fwknopd's default MAX_SPA_PACKET_AGE: |now - timestamp| must not exceed it. */
export const SPA_MAX_AGE_SECONDS = 120;

const SALTED_PREFIX = 'U2FsdGVkX1';

/** fwknop's digest types (--digest-type, --hmac-digest-type, DIGEST_TYPE, HMAC_DIGEST_TYPE), by fwknop's names. */
export const SPA_DIGEST_TYPES = ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512', 'SHA3_256', 'SHA3_512'] as const;
export type SpaDigestType = (typeof SPA_DIGEST_TYPES)[number];
export const SPA_DEFAULT_DIGEST: SpaDigestType = 'SHA256';
/** Node's name of each hash. */
const NODE_HASH: Record<SpaDigestType, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512', SHA3_256: 'sha3-256', SHA3_512: 'sha3-512' };
/** Length of each digest in base64 without '=' (fwknop's *_B64_LEN). */
export const SPA_DIGEST_B64_LENGTH: Record<SpaDigestType, number> = { MD5: 22, SHA1: 27, SHA256: 43, SHA384: 64, SHA512: 86, SHA3_256: 43, SHA3_512: 86 };

/** fwknop's name for a digest type, in any case as fwknop takes it ("sha3_256" -> SHA3_256), or undefined. */
export function spaDigestType(text: string): SpaDigestType | undefined {
  const upper = text.toUpperCase();
  return (SPA_DIGEST_TYPES as readonly string[]).includes(upper) ? (upper as SpaDigestType) : undefined;
}

/** The two digest types of a packet: the message digest inside, the HMAC appended. */
export interface SpaDigests {
  digest: SpaDigestType;
  hmac: SpaDigestType;
}
export const SPA_DEFAULT_DIGESTS: SpaDigests = { digest: SPA_DEFAULT_DIGEST, hmac: SPA_DEFAULT_DIGEST };
const USERNAME_FORBIDDEN = /["/\\[\]:;|=,+*?<>]/;

export const enum SpaMessageType {
  Access = 1,
  ClientTimeoutAccess = 3,
}

export interface SpaRequest {
  /** Dotted IPv4 address to allow, or 0.0.0.0 for "the packet's source address". */
  allowIp: string;
  /** proto/port items, e.g. ["tcp/22"]. */
  access: readonly string[];
  username: string;
  /** Seconds the server should keep the rule open; 0 leaves it to the server. */
  clientTimeout: number;
}

export interface SpaKeys {
  key: Buffer;
  hmacKey: Buffer;
}

export interface SpaEntropy {
  /** Unix seconds (already including any profile time offset). */
  nowSeconds: number;
  randomBytes(n: number): Buffer;
  /** 16 decimal digits. */
  randomValue(): string;
}

export const realEntropy = (nowSeconds: number): SpaEntropy => ({
  nowSeconds,
  randomBytes,
  randomValue: () => String(randomInt(10 ** 8)).padStart(8, '0') + String(randomInt(10 ** 8)).padStart(8, '0'),
});

/** Base64 without '=' padding, as fwknop writes every base64 field. */
export function b64s(data: Buffer | string): string {
  return Buffer.from(data).toString('base64').replace(/=+$/, '');
}

function unb64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) throw new SpaDecodeError('not base64');
  return Buffer.from(text, 'base64');
}

export class SpaDecodeError extends Error {}

/** Checks of what a packet asks for, the same rules fwknop's client applies. */
export function validateRequest(request: SpaRequest): void {
  if (!isIPv4(request.allowIp)) throw new ConfigError(`SPA allow address ${JSON.stringify(request.allowIp)} is not an IPv4 address`);
  if (request.access.length === 0) throw new ConfigError('SPA request names no proto/port');
  for (const item of request.access) {
    const m = /^(tcp|udp)\/(\d{1,5})$/.exec(item);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(`SPA access ${JSON.stringify(item)} is not tcp/PORT or udp/PORT`);
  }
  const u = request.username;
  if (u.length === 0 || u.length > 64 || USERNAME_FORBIDDEN.test(u) || /[\x00-\x20\x7f]/.test(u)) {
    throw new ConfigError('SPA username must be 1-64 characters without spaces, control characters or " / \\ [ ] : ; | = , + * ? < >');
  }
  if (!Number.isInteger(request.clientTimeout) || request.clientTimeout < 0 || request.clientTimeout > 65535) {
    throw new ConfigError('SPA client timeout must be a whole number of seconds from 0 to 65535');
  }
}

export function validateKeys(keys: SpaKeys): void {
  if (keys.key.length === 0 || keys.key.length > SPA_MAX_KEY_BYTES) throw new ConfigError(`SPA key is ${keys.key.length} bytes; fwknop takes 1 to ${SPA_MAX_KEY_BYTES}`);
  if (keys.hmacKey.length === 0 || keys.hmacKey.length > SPA_MAX_HMAC_KEY_BYTES) throw new ConfigError(`SPA HMAC key is ${keys.hmacKey.length} bytes; fwknop takes 1 to ${SPA_MAX_HMAC_KEY_BYTES}`);
  if (keys.key.equals(keys.hmacKey)) throw new ConfigError('SPA key and HMAC key are identical; fwknop refuses that');
}

/** The "encoded message": fields joined with ':' (without the digest). */
export function encodeMessage(request: SpaRequest, randomValue: string, timestamp: number): string {
  const type = request.clientTimeout > 0 ? SpaMessageType.ClientTimeoutAccess : SpaMessageType.Access;
  const fields = [
    randomValue,
    b64s(request.username),
    String(timestamp),
    SPA_VERSION,
    String(type),
    b64s(`${request.allowIp},${request.access.join(',')}`),
  ];
  if (request.clientTimeout > 0) fields.push(String(request.clientTimeout));
  return fields.join(':');
}

export function messageDigest(encoded: string, type: SpaDigestType = SPA_DEFAULT_DIGEST): string {
  return b64s(createHash(NODE_HASH[type]).update(encoded).digest());
}

function hmacOf(c64: string, hmacKey: Buffer, type: SpaDigestType): string {
  return b64s(createHmac(NODE_HASH[type], hmacKey).update(c64).digest());
}

/** OpenSSL EVP_BytesToKey(MD5, count 1): 32 key bytes and a 16-byte IV. */
function keyAndIv(key: Buffer, salt: Buffer): { aesKey: Buffer; iv: Buffer } {
  const d1 = createHash('md5').update(Buffer.concat([key, salt])).digest();
  const d2 = createHash('md5').update(Buffer.concat([d1, key, salt])).digest();
  const d3 = createHash('md5').update(Buffer.concat([d2, key, salt])).digest();
  return { aesKey: Buffer.concat([d1, d2]), iv: d3 };
}

export interface SpaPacket {
  /** The UDP payload, ASCII. */
  wire: string;
  encoded: string;
  digest: string;
  timestamp: number;
}

export function encodeSpaPacket(request: SpaRequest, keys: SpaKeys, entropy: SpaEntropy, digests: SpaDigests = SPA_DEFAULT_DIGESTS): SpaPacket {
  validateRequest(request);
  validateKeys(keys);
  const randomValue = entropy.randomValue();
  if (!/^\d{16}$/.test(randomValue)) throw new Error('random value must be 16 digits');
  const timestamp = Math.floor(entropy.nowSeconds);
  const encoded = encodeMessage(request, randomValue, timestamp);
  const digest = messageDigest(encoded, digests.digest);
  const salt = entropy.randomBytes(8);
  const { aesKey, iv } = keyAndIv(keys.key, salt);
  const cipher = createCipheriv('aes-256-cbc', aesKey, iv);
  const body = Buffer.concat([cipher.update(`${encoded}:${digest}`, 'utf8'), cipher.final()]);
  const c64 = b64s(Buffer.concat([Buffer.from('Salted__'), salt, body]));
  const hmac = hmacOf(c64, keys.hmacKey, digests.hmac);
  const wire = c64.slice(SALTED_PREFIX.length) + hmac;
  if (wire.length < SPA_MIN_PAYLOAD || wire.length > SPA_MAX_RIJNDAEL_PAYLOAD) {
    throw new ConfigError(`SPA packet would be ${wire.length} bytes; fwknopd takes ${SPA_MIN_PAYLOAD} to ${SPA_MAX_RIJNDAEL_PAYLOAD} (shorten the username or the port list)`);
  }
  return { wire, encoded, digest, timestamp };
}

export interface DecodedSpa {
  randomValue: string;
  username: string;
  timestamp: number;
  version: string;
  messageType: number;
  allowIp: string;
  access: string[];
  clientTimeout: number;
  encoded: string;
  digest: string;
  /** The message digest's type, known by its length (SHA3 tried where SHA2 has the same length). */
  digestType: SpaDigestType;
}

/**
 * The message digest's type, as fwknopd finds it (fko_decode.c): by its length; SHA3_256 and
 * SHA3_512 share SHA256's and SHA512's lengths, so those are tried when the SHA2 one does not match.
 */
function digestTypeOf(encoded: string, digest: string): SpaDigestType | undefined {
  for (const type of SPA_DIGEST_TYPES) {
    if (SPA_DIGEST_B64_LENGTH[type] !== digest.length) continue;
    const want = Buffer.from(messageDigest(encoded, type));
    const given = Buffer.from(digest);
    if (want.length === given.length && timingSafeEqual(want, given)) return type;
  }
  return undefined;
}

/**
 * Verifies the HMAC (of the type the server is set up for, fwknopd's HMAC_DIGEST_TYPE), decrypts
 * and parses a payload, as fwknopd does (Rijndael only). The message digest may be of any type.
 */
export function decodeSpaPacket(wire: string, keys: SpaKeys, hmacType: SpaDigestType = SPA_DEFAULT_DIGEST): DecodedSpa {
  if (wire.length < SPA_MIN_PAYLOAD || wire.length > SPA_MAX_RIJNDAEL_PAYLOAD) throw new SpaDecodeError(`payload length ${wire.length} out of range`);
  if (wire.startsWith(SALTED_PREFIX)) throw new SpaDecodeError('payload carries the Salted__ prefix');
  const hmacLength = SPA_DIGEST_B64_LENGTH[hmacType];
  const c64 = SALTED_PREFIX + wire.slice(0, -hmacLength);
  const givenHmac = Buffer.from(wire.slice(-hmacLength));
  const wantHmac = Buffer.from(hmacOf(c64, keys.hmacKey, hmacType));
  if (givenHmac.length !== wantHmac.length || !timingSafeEqual(givenHmac, wantHmac)) throw new SpaDecodeError('HMAC mismatch');
  const raw = unb64(c64);
  if (raw.length < 32 || raw.subarray(0, 8).toString('latin1') !== 'Salted__' || (raw.length - 16) % 16 !== 0) throw new SpaDecodeError('not Rijndael data');
  const { aesKey, iv } = keyAndIv(keys.key, raw.subarray(8, 16));
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, iv);
    plain = Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('latin1');
  } catch {
    throw new SpaDecodeError('decryption failed');
  }
  const cut = plain.lastIndexOf(':');
  if (cut < 0) throw new SpaDecodeError('no digest');
  const encoded = plain.slice(0, cut);
  const digest = plain.slice(cut + 1);
  const digestType = digestTypeOf(encoded, digest);
  if (digestType === undefined) throw new SpaDecodeError('digest mismatch');
  const f = encoded.split(':');
  if (f.length < 6 || f.length > 9) throw new SpaDecodeError('wrong field count');
  const [rand, user, ts, version, type, msg] = f as [string, string, string, string, string, string];
  if (!/^\d{16}$/.test(rand)) throw new SpaDecodeError('bad random value');
  if (!/^\d{1,10}$/.test(ts)) throw new SpaDecodeError('bad timestamp');
  if (version.length > 8) throw new SpaDecodeError('bad version');
  const messageType = Number(type);
  if (messageType !== 1 && messageType !== 3) throw new SpaDecodeError(`unsupported message type ${type}`);
  const message = unb64(msg).toString('latin1');
  const [allowIp = '', ...access] = message.split(',');
  if (!isIPv4(allowIp)) throw new SpaDecodeError('allow address is not IPv4');
  let clientTimeout = 0;
  if (messageType === 3) {
    const t = f[f.length - 1] ?? '';
    if (!/^\d{1,5}$/.test(t)) throw new SpaDecodeError('bad client timeout');
    clientTimeout = Number(t);
  }
  return {
    randomValue: rand,
    username: unb64(user).toString('latin1'),
    timestamp: Number(ts),
    version,
    messageType,
    allowIp,
    access,
    clientTimeout,
    encoded,
    digest,
    digestType,
  };
}

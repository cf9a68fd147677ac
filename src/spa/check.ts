// The checks fwknopd (2.6.10, incoming_spa.c) makes of an SPA packet, in its order: the size, the
// replay cache (SHA-256 of the whole payload, checked before anything else, added only once the
// packet is accepted), the HMAC (of the type the stanza names, HMAC_DIGEST_TYPE; the message
// digest inside may be of any type, known by its length, as fwknopd takes it) and decryption, the 120 s window either way, the source address
// (REQUIRE_SOURCE_ADDRESS Y: 0.0.0.0 refused), and the access asked for against OPEN_PORTS.
// Time comes in from the caller, so the window is tested on a fake clock.
import { createHash } from 'node:crypto';
import { decodeSpaPacket, SPA_MAX_AGE_SECONDS, SPA_MIN_PAYLOAD, SpaDecodeError, type DecodedSpa, type SpaDigestType, type SpaKeys } from './packet.js';

/** fwknopd's MAX_SPA_PACKET_SIZE: longer datagrams are not looked at. */
export const SPA_MAX_PACKET = 1500;
/** Digests kept at most (oldest dropped first); a dropped one is past its window or nearly so. */
export const REPLAY_CACHE_MAX = 100_000;

export type SpaVerdict =
  | { result: 'accepted'; packet: DecodedSpa; allow: string }
  | { result: 'replay' | 'rejected'; reason: string };

export interface SpaCheckerOptions {
  keys: SpaKeys;
  /** OPEN_PORTS: what may be asked for ("tcp/22"). */
  openPorts: readonly string[];
  /** HMAC_DIGEST_TYPE: the HMAC's type (SHA256 by default, as fwknopd's). */
  hmacType?: SpaDigestType;
  maxAgeSeconds?: number;
  cacheMax?: number;
}

export class SpaChecker {
  /** payload digest -> the second after which its timestamp is out of the window anyway. */
  private readonly seen = new Map<string, number>();
  private readonly maxAge: number;
  private readonly cacheMax: number;

  constructor(private readonly options: SpaCheckerOptions) {
    this.maxAge = options.maxAgeSeconds ?? SPA_MAX_AGE_SECONDS;
    this.cacheMax = options.cacheMax ?? REPLAY_CACHE_MAX;
  }

  check(payload: Buffer, nowSeconds: number): SpaVerdict {
    if (payload.length < SPA_MIN_PAYLOAD || payload.length > SPA_MAX_PACKET) return { result: 'rejected', reason: `payload of ${payload.length} bytes (fwknopd takes ${SPA_MIN_PAYLOAD} to ${SPA_MAX_PACKET})` };
    const wire = payload.toString('latin1');
    const digest = createHash('sha256').update(payload).digest('base64');
    this.prune(nowSeconds);
    if (this.seen.has(digest)) return { result: 'replay', reason: 'replay: this payload was accepted before' };
    let packet: DecodedSpa;
    try {
      packet = decodeSpaPacket(wire, this.options.keys, this.options.hmacType);
    } catch (error) {
      if (error instanceof SpaDecodeError) return { result: 'rejected', reason: error.message };
      throw error;
    }
    const skew = nowSeconds - packet.timestamp;
    if (Math.abs(skew) > this.maxAge) return { result: 'rejected', reason: `time difference is too great (${Math.abs(skew)} seconds)` };
    if (packet.allowIp === '0.0.0.0') return { result: 'rejected', reason: 'allow address 0.0.0.0 (the source): REQUIRE_SOURCE_ADDRESS refuses it' };
    const denied = packet.access.filter((a) => !this.options.openPorts.includes(a.toLowerCase()));
    if (denied.length > 0 || packet.access.length === 0) return { result: 'rejected', reason: `access ${denied.join(',') || '(none)'} not in OPEN_PORTS ${this.options.openPorts.join(',')}` };
    this.remember(digest, packet.timestamp + this.maxAge + 1);
    return { result: 'accepted', packet, allow: packet.allowIp };
  }

  /** How many digests are held (for tests of the bound). */
  get cached(): number {
    return this.seen.size;
  }

  private remember(digest: string, until: number): void {
    this.seen.set(digest, until);
    while (this.seen.size > this.cacheMax) this.seen.delete(this.seen.keys().next().value as string);
  }

  /**
   * Entries whose packet is out of the window (a replay of it fails the time check instead),
   * from the oldest on, stopping at the first still in it: a flood costs no full scan per packet.
   */
  private prune(nowSeconds: number): void {
    for (const [digest, until] of this.seen) {
      if (until >= nowSeconds) return;
      this.seen.delete(digest);
    }
  }
}

// knock lint of an SPA profile: what fwknop takes but is weak, or what a server set up by
// `knock rules --format fwknopd` would refuse. What fwknop refuses outright (key lengths,
// identical keys, a missing HMAC key) already fails the profile when the store is read.
import type { SpaSettings } from './profile.js';

export interface SpaFinding {
  level: 'warning' | 'note';
  code: 'spa-weak-key' | 'spa-weak-digest' | 'spa-source-address' | 'spa-time-offset';
  message: string;
}

/** `fwknop --key-gen` makes a 32-byte key and a 64-byte HMAC key; fewer bytes than these is weak. */
export const SPA_WEAK_KEY_BYTES = 16;
export const SPA_WEAK_HMAC_KEY_BYTES = 32;

/** Digest types fwknop takes that are broken for collisions (MD5) or close to it (SHA1). */
export const SPA_WEAK_DIGESTS: readonly string[] = ['MD5', 'SHA1'];

export function lintSpa(settings: SpaSettings): SpaFinding[] {
  const findings: SpaFinding[] = [];
  const { key, hmacKey } = settings.keys;
  if (key.length < SPA_WEAK_KEY_BYTES) findings.push({ level: 'warning', code: 'spa-weak-key', message: `spa.key_base64 is ${key.length} bytes: weak (fwknop --key-gen makes 32)` });
  if (hmacKey.length < SPA_WEAK_HMAC_KEY_BYTES) findings.push({ level: 'warning', code: 'spa-weak-key', message: `spa.hmac_key_base64 is ${hmacKey.length} bytes: weak (fwknop --key-gen makes 64)` });
  for (const [name, type] of [['digest_type', settings.digests.digest], ['hmac_digest_type', settings.digests.hmac]] as const) {
    if (SPA_WEAK_DIGESTS.includes(type)) findings.push({ level: 'warning', code: 'spa-weak-digest', message: `spa.${name} ${type} is weak: use SHA256 or stronger (the server's HMAC_DIGEST_TYPE must match hmac_digest_type)` });
  }
  if (settings.allow === 'source') {
    findings.push({
      level: 'warning',
      code: 'spa-source-address',
      message: "spa.allow is 'source' (0.0.0.0): a server with REQUIRE_SOURCE_ADDRESS Y (as `knock rules --format fwknopd` writes it) refuses the packet",
    });
  }
  if (settings.timeOffset !== 0) findings.push({ level: 'note', code: 'spa-time-offset', message: `spa.time_offset ${settings.timeOffset} s: the packet's clock is moved; fwknopd takes packets within 120 s of its own` });
  return findings;
}

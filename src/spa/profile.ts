// The `spa:` mapping of a profile (in place of `open`): what fwknop lets a user set, under knock's names.
//   key_base64       Rijndael key, base64 (fwknop KEY_BASE64; 1-32 bytes)        required
//   hmac_key_base64  HMAC-SHA256 key, base64 (HMAC_KEY_BASE64; 1-136 bytes)      required
//   port             UDP port fwknopd listens on (SPA_SERVER_PORT)                default 62201
//   access           proto/port list to open (ACCESS)                             default [tcp/<profile port>]
//   allow            IPv4 to allow, or "source" (ALLOW_IP)                        default: our address toward the server
//   username         sent username (SPOOF_USER)                                   default: the login name
//   client_timeout   s the server keeps the rule (FW_TIMEOUT)                     default: the server's
//   time_offset      s added to the clock (TIME_OFFSET_PLUS/MINUS)                default 0
//   digest_type      the message digest inside the packet (DIGEST_TYPE)           default SHA256
//   hmac_digest_type the HMAC appended to it (HMAC_DIGEST_TYPE)                   default SHA256
//   (digest types: MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512, as fwknop names them)

import { isIPv4 } from '../shared/ip.js';
import { SPA_DEFAULT_DIGESTS, SPA_DEFAULT_PORT, SPA_DIGEST_TYPES, spaDigestType, validateKeys, type SpaDigests, type SpaKeys } from './packet.js';

export interface SpaSettings {
  keys: SpaKeys;
  port: number;
  access?: string[];
  allow?: string;
  username?: string;
  clientTimeout: number;
  timeOffset: number;
  /** The message digest's and the HMAC's types (SHA256 both by default). */
  digests: SpaDigests;
}

export const SPA_KEYS = ['key_base64', 'hmac_key_base64', 'port', 'access', 'allow', 'username', 'client_timeout', 'time_offset', 'digest_type', 'hmac_digest_type'];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses a profile's `spa:` value; problems go to `errors` (messages never carry a key). */
/** What an SPA profile's packet asks for: its `access`, else its service port and protocol (tcp/22). */
export function spaAccessOf(settings: Pick<SpaSettings, 'access'>, service: { port?: number; portProtocol?: 'udp' }): string[] {
  return settings.access ?? [`${service.portProtocol ?? 'tcp'}/${service.port ?? 22}`];
}

export function parseSpaSettings(value: unknown, errors: string[]): SpaSettings | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push("'spa' must be a mapping with key_base64 and hmac_key_base64");
    return undefined;
  }
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!SPA_KEYS.includes(k)) errors.push(`unknown key 'spa.${k.replace(/[^\w.-]/g, '?')}' (known: ${SPA_KEYS.join(', ')})`);
  const key = (name: string): Buffer | undefined => {
    const raw = v[name];
    if (raw === undefined) {
      errors.push(`'spa.${name}' is missing`);
      return undefined;
    }
    if (typeof raw !== 'string' || !BASE64.test(raw)) {
      errors.push(`'spa.${name}' is not base64`);
      return undefined;
    }
    return Buffer.from(raw, 'base64');
  };
  const k = key('key_base64');
  const h = key('hmac_key_base64');
  const int = (name: string, min: number, max: number, fallback: number): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      errors.push(`'spa.${name}' must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return raw;
  };
  const settings: SpaSettings = {
    keys: { key: k ?? Buffer.alloc(0), hmacKey: h ?? Buffer.alloc(0) },
    port: int('port', 1, 65535, SPA_DEFAULT_PORT),
    clientTimeout: int('client_timeout', 0, 65535, 0),
    timeOffset: int('time_offset', -86400 * 365, 86400 * 365, 0),
    digests: { ...SPA_DEFAULT_DIGESTS },
  };
  for (const [name, field] of [['digest_type', 'digest'], ['hmac_digest_type', 'hmac']] as const) {
    const raw = v[name];
    if (raw === undefined) continue;
    const type = typeof raw === 'string' ? spaDigestType(raw) : undefined;
    if (type === undefined) errors.push(`'spa.${name}' must be one of ${SPA_DIGEST_TYPES.join(', ')}`);
    else settings.digests[field] = type;
  }
  if (v['access'] !== undefined) {
    const a = v['access'];
    const list = typeof a === 'string' ? a.split(',').map((s) => s.trim()) : a;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && /^(tcp|udp)\/([1-9]\d{0,4})$/.test(x) && Number(x.split('/')[1]) <= 65535)) {
      errors.push("'spa.access' must be a list of tcp/PORT or udp/PORT");
    } else settings.access = list as string[];
  }
  if (v['allow'] !== undefined) {
    if (v['allow'] !== 'source' && !(typeof v['allow'] === 'string' && isIPv4(v['allow']))) errors.push("'spa.allow' must be an IPv4 address or \"source\"");
    else settings.allow = v['allow'];
  }
  if (v['username'] !== undefined) {
    if (typeof v['username'] !== 'string') errors.push("'spa.username' must be a string");
    else settings.username = v['username'];
  }
  if (k && h) {
    try {
      validateKeys(settings.keys);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return k && h ? settings : undefined;
}

// Reads an fwknop client rc file (~/.fwknoprc): one stanza per [name], "VARIABLE value" lines,
// [default] applying to every stanza. Stanzas knock cannot send (GPG, legacy mode, NAT, HTTP/TCP
// transport, a digest type fwknop does not know, no HMAC key, ALLOW_IP resolve) are named with the
// reason and skipped.

import { isIPv4 } from '../shared/ip.js';
import { SPA_DIGEST_TYPES, spaDigestType, type SpaDigestType } from './packet.js';

export interface FwknoprcStanza {
  name: string;
  host: string;
  port: number;
  access: string[];
  /** Dotted IPv4 to allow, or "source" for the packet's source address (fwknop -s). */
  allow: string;
  keyBase64: string;
  hmacKeyBase64: string;
  username?: string;
  clientTimeout?: number;
  timeOffset?: number;
  /** DIGEST_TYPE, when the stanza (or [default]) names one. */
  digestType?: SpaDigestType;
  /** HMAC_DIGEST_TYPE, when the stanza (or [default]) names one. */
  hmacDigestType?: SpaDigestType;
}

export interface FwknoprcResult {
  stanzas: FwknoprcStanza[];
  skipped: { name: string; reason: string }[];
}

/** True when the text reads like an fwknop rc file rather than another format knock imports. */
export function looksLikeFwknoprc(text: string): boolean {
  return /^\s*\[[^\]\n]+\]\s*$/m.test(text) && /^\s*(SPA_SERVER|KEY_BASE64|HMAC_KEY_BASE64|KEY|USE_HMAC|ACCESS)\s+\S/m.test(text);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseOffset(value: string, sign: number): number | undefined {
  const m = /^(\d+)(sec|s|min|m|hours|h|days|d)?$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? 's').toLowerCase()[0];
  const mult = unit === 'm' ? 60 : unit === 'h' ? 3600 : unit === 'd' ? 86400 : 1;
  return sign * Number(m[1]) * mult;
}

function yes(value: string | undefined): boolean {
  return value !== undefined && /^(y|yes|1|on|true)$/i.test(value);
}

export function parseFwknoprc(text: string): FwknoprcResult {
  const raw = new Map<string, Map<string, string>>();
  const order: string[] = [];
  let current: Map<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header?.[1] !== undefined) {
      const name = header[1].trim();
      current = raw.get(name) ?? new Map();
      if (!raw.has(name)) {
        raw.set(name, current);
        order.push(name);
      }
      continue;
    }
    const m = /^([A-Z0-9_]+)(?:\s+(.*))?$/.exec(trimmed);
    // A variable written with no value overrides [default] with nothing.
    if (current && m?.[1]) current.set(m[1], (m[2] ?? '').trim());
  }
  const defaults = raw.get('default') ?? new Map<string, string>();
  const result: FwknoprcResult = { stanzas: [], skipped: [] };
  for (const name of order) {
    if (name === 'default') continue;
    const v = new Map([...defaults, ...(raw.get(name) ?? new Map<string, string>())]);
    const skip = (reason: string): void => {
      result.skipped.push({ name, reason });
    };
    const get = (k: string): string | undefined => v.get(k);
    if (yes(get('USE_GPG')) || get('GPG_RECIPIENT') !== undefined) { skip('GPG encryption'); continue; }
    if (get('ENCRYPTION_MODE') !== undefined && !/^cbc$/i.test(get('ENCRYPTION_MODE') ?? '')) { skip(`encryption mode ${get('ENCRYPTION_MODE')} (knock sends CBC only; legacy is for servers older than 2.5)`); continue; }
    if (get('NAT_ACCESS') !== undefined || yes(get('NAT_LOCAL')) || get('NAT_PORT') !== undefined || yes(get('NAT_RAND_PORT'))) { skip('NAT access'); continue; }
    const proto = get('SPA_SERVER_PROTO');
    if (proto !== undefined && proto.toLowerCase() !== 'udp') { skip(`transport ${proto} (knock sends UDP only)`); continue; }
    const digests: { digestType?: SpaDigestType; hmacDigestType?: SpaDigestType } = {};
    for (const [k, field] of [['DIGEST_TYPE', 'digestType'], ['HMAC_DIGEST_TYPE', 'hmacDigestType']] as const) {
      const d = get(k);
      if (d === undefined) continue;
      const type = spaDigestType(d);
      if (type === undefined) { skip(`${k} ${JSON.stringify(d)} is not one of ${SPA_DIGEST_TYPES.join(', ')}`); break; }
      digests[field] = type;
    }
    if (result.skipped.at(-1)?.name === name) continue;
    const host = get('SPA_SERVER');
    if (!host) { skip('no SPA_SERVER'); continue; }
    let keyBase64 = get('KEY_BASE64');
    if (keyBase64 === undefined && get('KEY') !== undefined) keyBase64 = Buffer.from(get('KEY') ?? '', 'utf8').toString('base64');
    let hmacKeyBase64 = get('HMAC_KEY_BASE64');
    if (hmacKeyBase64 === undefined && get('HMAC_KEY') !== undefined) hmacKeyBase64 = Buffer.from(get('HMAC_KEY') ?? '', 'utf8').toString('base64');
    if (!keyBase64 || !BASE64.test(keyBase64)) { skip('no usable KEY_BASE64 or KEY'); continue; }
    if (!hmacKeyBase64 || !BASE64.test(hmacKeyBase64)) { skip('no HMAC key (knock always sends an HMAC)'); continue; }
    const allowRaw = get('ALLOW_IP') ?? '';
    let allow: string;
    if (/^source$/i.test(allowRaw)) allow = 'source';
    else if (isIPv4(allowRaw)) allow = allowRaw;
    else if (/^resolve$/i.test(allowRaw)) { skip('ALLOW_IP resolve (knock does not ask a web service for the address; set ALLOW_IP or source)'); continue; }
    else { skip(allowRaw ? `ALLOW_IP ${allowRaw} is not IPv4` : 'no ALLOW_IP'); continue; }
    const access = (get('ACCESS') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (access.length === 0 || !access.every((a) => /^(tcp|udp)\/\d{1,5}$/.test(a))) { skip(`ACCESS ${JSON.stringify(get('ACCESS') ?? '')} is not a tcp/PORT,udp/PORT list`); continue; }
    const port = Number(get('SPA_SERVER_PORT') ?? '62201');
    if (!Number.isInteger(port) || port < 1 || port > 65535) { skip('SPA_SERVER_PORT out of range'); continue; }
    const stanza: FwknoprcStanza = { name, host, port, access, allow, keyBase64, hmacKeyBase64, ...digests };
    if (get('SPOOF_USER') !== undefined) stanza.username = get('SPOOF_USER');
    const fwTimeout = get('FW_TIMEOUT');
    if (fwTimeout !== undefined) {
      if (!/^\d{1,5}$/.test(fwTimeout) || Number(fwTimeout) > 65535) { skip(`FW_TIMEOUT ${JSON.stringify(fwTimeout)} is not 0 to 65535 seconds`); continue; }
      stanza.clientTimeout = Number(fwTimeout);
    }
    const plus = get('TIME_OFFSET_PLUS');
    const minus = get('TIME_OFFSET_MINUS');
    if (plus !== undefined) stanza.timeOffset = parseOffset(plus, 1);
    else if (minus !== undefined) stanza.timeOffset = parseOffset(minus, -1);
    if (stanza.timeOffset === undefined) delete stanza.timeOffset;
    result.stanzas.push(stanza);
  }
  return result;
}

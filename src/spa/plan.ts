// An SPA profile's plan: the knock plan's address and names, plus what the one packet asks for.
// The keys ride along in an SpaSecret, which prints as "[secret]" however the plan is shown
// (JSON, util.inspect, a template string), so --dry-run, --json and -v cannot leak them.
import { createSocket } from 'node:dgram';
import type { KnockPlan } from '../knock/plan.js';
import { ConfigError, RuntimeError, reasonOf } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { encodeSpaPacket, realEntropy, type SpaDigests, type SpaKeys, type SpaRequest } from './packet.js';
import type { SpaSettings } from './profile.js';

/** The keys, reachable only through `.keys`; every other way of showing it says "[secret]". */
export class SpaSecret {
  readonly #keys: SpaKeys;
  constructor(keys: SpaKeys) {
    this.#keys = keys;
  }
  get keys(): SpaKeys {
    return this.#keys;
  }
  toJSON(): string {
    return '[secret]';
  }
  toString(): string {
    return '[secret]';
  }
  // util.inspect's hook (Symbol.for, so that node:util is not loaded for it).
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

export interface SpaPacketPlan {
  /** The UDP port fwknopd listens on. */
  port: number;
  request: SpaRequest;
  /** s added to the clock for the packet's timestamp. */
  timeOffset: number;
  /** The message digest's and the HMAC's types (not secret: fwknop prints them too). */
  digests: SpaDigests;
  secret: SpaSecret;
}

/** A plan with no knocks: one SPA packet to `address`. */
export interface SpaPlan extends KnockPlan {
  spa: SpaPacketPlan;
}

export interface SpaPlanInput {
  settings: SpaSettings;
  /** The resolved IPv4 address of the server. */
  address: string;
  /** The profile's service port and protocol: the default access (tcp/22). */
  servicePort: number;
  serviceProtocol: 'tcp' | 'udp';
  /** The login name, when the profile names no username (fwknop's default). */
  defaultUser: string;
  /** The local address the packet leaves from (--source / `source`), if one was asked for. */
  source?: string;
  /** Where the kernel would send from, for the default allow address; replaceable in tests. */
  localAddressToward?: (address: string, port: number) => Promise<string>;
  /** s since the epoch, for the trial packet that checks the size limits. */
  nowSeconds: number;
}

/**
 * What the packet asks for, validated in full (a trial packet is built and thrown away, so a
 * username or port list that would make it too long fails here, before anything is sent).
 */
export async function planSpaPacket(input: SpaPlanInput): Promise<SpaPacketPlan> {
  const { settings } = input;
  const toward = input.localAddressToward ?? localAddressToward;
  const allowIp = settings.allow === 'source' ? '0.0.0.0' : (settings.allow ?? input.source ?? (await toward(input.address, settings.port)));
  const request: SpaRequest = {
    allowIp,
    access: settings.access ?? [`${input.serviceProtocol}/${input.servicePort}`],
    username: settings.username ?? input.defaultUser,
    clientTimeout: settings.clientTimeout,
  };
  const digests = { ...settings.digests };
  encodeSpaPacket(request, settings.keys, realEntropy(input.nowSeconds + settings.timeOffset), digests);
  return { port: settings.port, request, timeOffset: settings.timeOffset, digests, secret: new SpaSecret(settings.keys) };
}

/** fwknop's default username: SPOOF_USER, LOGNAME, USER, else the passwd name, else NO_USER. */
export function defaultSpaUser(env: NodeJS.ProcessEnv, passwdName: () => string | undefined): string {
  for (const v of [env.SPOOF_USER, env.LOGNAME, env.USER]) if (v) return v;
  try {
    return passwdName() || 'NO_USER';
  } catch {
    return 'NO_USER';
  }
}

/** The local IPv4 address the kernel would use toward `address` (a connected UDP socket sends nothing). */
export function localAddressToward(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      reject(new RuntimeError(`no route to ${address} for the SPA packet: ${reasonOf(e)}`));
    });
    s.connect(port, address, () => {
      const local = s.address().address;
      s.close();
      resolve(local);
    });
  });
}

/** "0.0.0.0" as the user wrote it: `allow: source`. */
function allowText(request: SpaRequest): string {
  return request.allowIp === '0.0.0.0' ? 'the packet\'s source address (0.0.0.0)' : request.allowIp;
}

/** The plan as --dry-run prints it: destination, SPA port, access, allow address; never the keys. */
export function formatSpaPlan(plan: SpaPlan): string {
  const names = [plan.host, plan.address].filter((n, i, all) => all.indexOf(n) === i).join(' -> ');
  const r = plan.spa.request;
  const lines = [
    `${plan.action} ${plan.profile ?? plan.host}: ${names} (IPv4)${plan.source ? ` from ${plan.source}` : ''}${plan.ttl !== undefined ? `, TTL ${plan.ttl}` : ''}, 1 SPA packet (fwknop)`,
    `  to udp/${plan.spa.port}: open ${r.access.join(',')} for ${allowText(r)}, user ${r.username}${r.clientTimeout ? `, for ${r.clientTimeout} s` : ''}${plan.spa.timeOffset ? `, clock ${plan.spa.timeOffset > 0 ? '+' : ''}${plan.spa.timeOffset} s` : ''}, digest ${plan.spa.digests.digest}, HMAC ${plan.spa.digests.hmac}`,
  ];
  // A name or host from the store may hold terminal escapes: shown, not obeyed.
  return lines.map((line) => printable(line)).join('\n') + '\n';
}

/** The plan as --json prints it (the packet's fields, no keys). */
export function spaPlanToJson(plan: SpaPlan): Record<string, unknown> {
  const r = plan.spa.request;
  return {
    action: plan.action,
    ...(plan.profile ? { profile: plan.profile } : {}),
    target: plan.target,
    host: plan.host,
    address: plan.address,
    family: 4,
    ...(plan.source ? { source: plan.source } : {}),
    ...(plan.ttl !== undefined ? { ttl: plan.ttl } : {}),
    kind: 'spa',
    spa: {
      port: plan.spa.port,
      access: [...r.access],
      allow: r.allowIp,
      username: r.username,
      ...(r.clientTimeout ? { clientTimeout: r.clientTimeout } : {}),
      ...(plan.spa.timeOffset ? { timeOffset: plan.spa.timeOffset } : {}),
      digestType: plan.spa.digests.digest,
      hmacDigestType: plan.spa.digests.hmac,
    },
  };
}

export interface SpaSent {
  /** UDP payload bytes. */
  bytes: number;
  /** ms from the call to the datagram leaving (the send callback). */
  elapsedMs: number;
}

/** Sends the plan's one packet: a new packet on every call (fwknopd drops a payload it has seen). */
export async function sendSpaPlan(plan: SpaPlan, nowMs: number = Date.now()): Promise<SpaSent> {
  const started = performance.now();
  const { wire } = encodeSpaPacket(plan.spa.request, plan.spa.secret.keys, realEntropy(Math.floor(nowMs / 1000) + plan.spa.timeOffset), plan.spa.digests);
  const where = `${plan.address}:${plan.spa.port}`;
  await new Promise<void>((resolve, reject) => {
    const s = createSocket('udp4');
    const fail = (e: unknown) => {
      s.close();
      reject(new RuntimeError(`SPA packet to ${where} could not be sent: ${reasonOf(e)}`));
    };
    s.once('error', fail);
    const send = () => {
      if (plan.ttl !== undefined) s.setTTL(plan.ttl);
      s.send(wire, plan.spa.port, plan.address, (e) => {
        if (e) return fail(e);
        s.close();
        resolve();
      });
    };
    // A source must be bound before the send; without one the kernel picks it (bind to any).
    s.bind(0, plan.source ?? '0.0.0.0', send);
  });
  return { bytes: Buffer.byteLength(wire), elapsedMs: performance.now() - started };
}

/** -v: the packet as it left. */
export function spaSentLine(plan: SpaPlan, sent: SpaSent): string {
  // The digest and HMAC types named as fwknop -v names them (Digest Type, HMAC Type); never a key.
  return `spa packet -> ${plan.address} udp/${plan.spa.port} (${sent.bytes} bytes) at +${sent.elapsedMs.toFixed(2)} ms: open ${plan.spa.request.access.join(',')} for ${plan.spa.request.allowIp}, digest ${plan.spa.digests.digest}, HMAC ${plan.spa.digests.hmac}`;
}

/** The one result line: "sent SPA vault (198.18.0.2 udp/62201): tcp/22 for 198.18.0.1". */
export function spaReportLine(plan: SpaPlan): string {
  return printable(`sent SPA ${plan.profile ?? plan.host} (${plan.address} udp/${plan.spa.port}): ${plan.spa.request.access.join(',')} for ${plan.spa.request.allowIp}`);
}

/** knock close of an SPA profile: there is nothing to send. */
export function spaCloseNote(profile: string, settings: SpaSettings): string {
  const when = settings.clientTimeout ? `after the ${settings.clientTimeout} s it asked for (client_timeout)` : "after the server's FW_ACCESS_TIMEOUT";
  return printable(`${profile}: nothing sent: SPA has no close; the access expires on the server ${when}`);
}

/** IPv4 only: why an address or a host is refused. */
export function spaNeedsIpv4(profile: string, host: string, why: string): ConfigError {
  return new ConfigError(`profile '${profile}': SPA is IPv4 only (fwknopd cannot take IPv6), and ${host} ${why}`);
}

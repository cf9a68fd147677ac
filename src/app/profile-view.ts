// A profile as list and show present it: JSON, and how many one-time lines are left.
import { spaAccessOf } from '../spa/profile.js';
import { formatKnockInFull } from '../knock/tokens.js';
import type { Profile, ProfileStore } from '../store/profiles.js';
import { readOneTime } from '../store/one-time.js';
import type { Trust } from '../files/guard.js';
import { reasonOf } from '../shared/errors.js';

/** Unused lines of a one-time profile's file, or why it cannot be read (list and show go on). */
export async function oneTimeLeft(profile: Profile, trust: Trust): Promise<{ left: number; next?: string; line?: number } | { error: string } | undefined> {
  if (!profile.oneTimeSequences) return undefined;
  try {
    const { unused } = await readOneTime(profile.oneTimeSequences, trust);
    const first = unused[0];
    return { left: unused.length, ...(first ? { next: first.knocks.map(formatKnockInFull).join(' '), line: first.line } : {}) };
  } catch (error) {
    return { error: reasonOf(error) };
  }
}

export function groupsToJson(store: ProfileStore): { name: string; members: string[] }[] {
  return [...(store.groups ?? new Map<string, string[]>()).entries()].map(([name, members]) => ({ name, members }));
}

export function spaToJson(profile: Profile): Record<string, unknown> | undefined {
  const s = profile.spa;
  if (!s) return undefined;
  return {
    port: s.port,
    access: spaAccessOf(s, profile),
    allow: s.allow ?? 'the address the packet leaves from',
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.clientTimeout ? { clientTimeout: s.clientTimeout } : {}),
    ...(s.timeOffset ? { timeOffset: s.timeOffset } : {}),
    digestType: s.digests.digest,
    hmacDigestType: s.digests.hmac,
    keyBytes: s.keys.key.length,
    hmacKeyBytes: s.keys.hmacKey.length,
  };
}
export function spaSummary(profile: Profile): string {
  const j = spaToJson(profile)!;
  return `spa (fwknop) udp/${String(j.port)}: ${(j.access as string[]).join(',')}`;
}

export function profileToJson(profile: Profile, withSequences: boolean, oneTime?: Awaited<ReturnType<typeof oneTimeLeft>>): Record<string, unknown> {
  const spa = spaToJson(profile);
  if (spa) {
    return {
      name: profile.name,
      kind: 'spa',
      ...(profile.description ? { description: profile.description } : {}),
      ...(profile.host ? { host: profile.host } : {}),
      ...(profile.port ? { port: profile.port, ...(profile.portProtocol ? { portProtocol: profile.portProtocol } : {}) } : {}),
      ...(profile.source ? { source: profile.source } : {}),
      ...(profile.ttl !== undefined ? { ttl: profile.ttl } : {}),
      spa,
    };
  }
  return {
    name: profile.name,
    ...(profile.description ? { description: profile.description } : {}),
    ...(profile.host ? { host: profile.host } : {}),
    ...(profile.port ? { port: profile.port, ...(profile.portProtocol ? { portProtocol: profile.portProtocol } : {}) } : {}),
    delay: profile.delay,
    seqTimeout: profile.seqTimeout,
    ...(profile.openFor !== undefined ? { openFor: profile.openFor } : {}),
    ...(profile.ttl !== undefined ? { ttl: profile.ttl } : {}),
    ...(profile.source ? { source: profile.source } : {}),
    ...(profile.family ? { family: profile.family } : {}),
    openKnocks: profile.open.length,
    closeKnocks: profile.close?.length ?? 0,
    ...(withSequences ? { open: profile.open.map(formatKnockInFull), ...(profile.close ? { close: profile.close.map(formatKnockInFull) } : {}) } : {}),
    ...(profile.oneTimeSequences ? { oneTimeSequences: profile.oneTimeSequences } : {}),
    ...(oneTime && 'left' in oneTime ? { oneTimeLeft: oneTime.left } : {}),
    ...(oneTime && 'error' in oneTime ? { oneTimeError: oneTime.error } : {}),
  };
}

// The door every format writes: a profile checked for the server side (names safe to become
// chain, set and section names; service ports; whole seconds within every tool's range; the
// families) and the header they all print.
import { createHash } from 'node:crypto';
import { isIP } from '../shared/ip.js';
import { ConfigError } from '../shared/errors.js';
import { formatKnock, type Knock, type Protocol } from '../knock/tokens.js';
import type { Profile } from '../store/profiles.js';
import { icmpLength } from './stages.js';

export type RulesFormat = 'iptables' | 'nftables' | 'knockd';
export const RULES_FORMATS: readonly RulesFormat[] = ['iptables', 'nftables', 'knockd'];

/** An IP family a door's rules cover. */
export type DoorFamily = 4 | 6;

export interface Door {
  /** The profile's name, checked to be plain (letters, digits, `.`, `_`, `-`). */
  name: string;
  /** At most ID_MAX characters of the same alphabet: the stem of every chain, set and list name. */
  id: string;
  host?: string;
  /** Ports behind the door (of `serviceProtocol`). */
  services: number[];
  /** The service's protocol: the profile's `port: 1194/udp`, else TCP. */
  serviceProtocol: 'tcp' | 'udp';
  /** The families the rules cover: the profile's `family`, else both. */
  families: DoorFamily[];
  open: Knock[];
  close?: Knock[];
  /** Whole seconds one knock may follow the one before. */
  seqTimeout: number;
  /** Whole seconds after the open during which new connections are let in; absent: until closed. */
  openFor?: number;
  /** The protocols either sequence uses: packets of these kinds count as knocks, right or wrong. */
  protocols: Protocol[];
}

/** 28 (iptables' chain name limit) - "knock-" - "-close". */
export const ID_MAX = 16;
/**
 * The longest open_for any format carries whole: xt_recent multiplies `--seconds` by the
 * kernel's HZ (up to 1000) in 32 bits, so 4294968 s wraps to under a second on a HZ=1000 kernel
 * (17179870 s did on a HZ=250 one); nft 1.0.6 took set timeouts up to 99999999 s, knockd's
 * cmd_timeout is an int. 4000000 s (46 days) fits all of them with room.
 */
export const MAX_OPEN_FOR = 4_000_000;
/** iptables' `-m multiport --dports` takes at most 15 ports (knockd's commands and Puppet use it too). */
export const MAX_SERVICE_PORTS = 15;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ADDRESS = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;
/** The shape of a shortened id: a start, `-`, six hex digits. A short name of that shape is hashed too. */
const HASHED = new RegExp(`^.{${ID_MAX - 7}}-[0-9a-f]{6}$`);

/**
 * The name's stem for firewall objects: the name itself when short enough, else its start and
 * a hash of the whole, so that two long names sharing a start still get tables of their own.
 * A short name that looks like a shortened one is shortened too, so that it cannot equal
 * another name's id; two ids are then equal only if two hashes are (checkDistinctDoors).
 */
export function doorId(name: string): string {
  if (name.length <= ID_MAX && !HASHED.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, ID_MAX - 7)}-${hash}`;
}

/**
 * The iptables (and Puppet) chains of a door. Every name is `knock-ID-SUFFIX` with a suffix
 * free of `-`, so no profile's chain can be another's (`x`'s open chain is not `x-open`'s main).
 */
export function chainNames(door: Pick<Door, 'id'>): { main: string; knock: string; open: string; close: string } {
  const stem = `knock-${door.id}`;
  return { main: `${stem}-in`, knock: `${stem}-knock`, open: `${stem}-open`, close: `${stem}-close` };
}

/** A host for the header: a plain host name, or an IP address (`::1`, `::ffff:1.2.3.4`, `fe80::1%eth0`). */
export function isPlainHost(host: string): boolean {
  return HOST_NAME.test(host) || (ADDRESS.test(host) && isIP(host) !== 0);
}

/** Validates everything a format will print; nothing from the profile reaches the output unchecked. */
export function doorOf(profile: Profile, servicePorts?: number[]): Door {
  const what = `profile ${JSON.stringify(profile.name)}`;
  if (!PLAIN.test(profile.name)) {
    throw new ConfigError(`${what}: a name for firewall rules may hold only letters, digits, '.', '_' and '-' (and start with a letter or digit); rename the profile`);
  }
  if (profile.host !== undefined && !isPlainHost(profile.host)) {
    throw new ConfigError(`${what}: host ${JSON.stringify(profile.host)} is not a plain host name or address`);
  }
  const services = [...new Set(servicePorts ?? [profile.port ?? 22])];
  for (const port of services) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${what}: service port ${port} is out of range (1-65535)`);
  }
  if (services.length > MAX_SERVICE_PORTS) {
    throw new ConfigError(`${what}: ${services.length} service ports; at most ${MAX_SERVICE_PORTS} (iptables multiport's limit): make two profiles`);
  }
  const serviceProtocol = profile.portProtocol === 'udp' ? 'udp' : 'tcp';
  for (const [which, knocks] of [['open', profile.open], ['close', profile.close ?? []]] as const) {
    knocks.forEach((knock, i) => {
      if (knock.protocol === serviceProtocol && services.includes(knock.port)) {
        throw new ConfigError(`${what}: ${which} knock ${i + 1} (${formatKnock(knock)}) is on the service port: the door could never see it as a knock`);
      }
      // Guarded where the size is made (tokens.ts); checked again here, where it becomes a match.
      if (knock.protocol === 'icmp' && icmpLength(knock.size, 6) > 65535) {
        throw new ConfigError(`${what}: ${which} knock ${i + 1} (${formatKnock(knock)}) is larger than one IP packet`);
      }
    });
  }
  if (profile.open.length === 0) {
    throw new ConfigError(`${what}: no open sequence (a one-time profile's sequences live in knockd's file; its rules are knockd's own)`);
  }
  if (profile.openFor !== undefined && (!Number.isInteger(profile.openFor) || profile.openFor < 1 || profile.openFor > MAX_OPEN_FOR)) {
    throw new ConfigError(`${what}: open_for ${profile.openFor} is out of range (1-${MAX_OPEN_FOR} s: iptables' recent --seconds overflows in the kernel beyond about 4294967 s)`);
  }
  const seqTimeout = Math.ceil(profile.seqTimeout);
  if (!Number.isInteger(seqTimeout) || seqTimeout < 1 || seqTimeout > MAX_OPEN_FOR) {
    throw new ConfigError(`${what}: seq_timeout ${profile.seqTimeout} is out of range`);
  }
  const families: DoorFamily[] = profile.family === 4 ? [4] : profile.family === 6 ? [6] : [4, 6];
  const literal = profile.host === undefined ? 0 : isIP(profile.host);
  // An address's own family (`::ffff:a.b.c.d` is IPv4 on the wire) must be one the rules cover.
  const hostFamily: DoorFamily | undefined = literal === 0 ? undefined : literal === 4 || /^::ffff:[0-9.]+$/i.test(profile.host!) ? 4 : 6;
  if (hostFamily !== undefined && !families.includes(hostFamily)) {
    throw new ConfigError(`${what}: host ${profile.host} is IPv${hostFamily} but the profile has family: ${profile.family}: its rules would guard the other family`);
  }
  const all = [...profile.open, ...(profile.close ?? [])];
  const door: Door = {
    name: profile.name,
    id: doorId(profile.name),
    services,
    serviceProtocol,
    families,
    open: profile.open,
    seqTimeout,
    protocols: (['tcp', 'udp', 'icmp'] as const).filter((p) => all.some((k) => k.protocol === p)),
  };
  if (profile.host !== undefined) door.host = profile.host;
  if (profile.close) door.close = profile.close;
  if (profile.openFor !== undefined) door.openFor = profile.openFor;
  return door;
}

/**
 * Refuses `name` when another profile of the store gets the same id (so the same chains,
 * tables and sections): only two long names whose hashes agree can, and loading one door
 * would then replace or break the other's.
 */
export function checkDistinctDoors(name: string, others: Iterable<string>): void {
  const id = doorId(name);
  for (const other of others) {
    if (other !== name && PLAIN.test(other) && doorId(other) === id) {
      throw new ConfigError(`profiles ${JSON.stringify(name)} and ${JSON.stringify(other)} would share the firewall names ${id}: rename one`);
    }
  }
}

/** "IPv4", "IPv6" or "IPv4 and IPv6". */
export function familiesText(families: readonly DoorFamily[]): string {
  return families.map((f) => `IPv${f}`).join(' and ');
}

/**
 * The comment lines every format starts with; `how` says what else the admin must do, how to
 * load and how to remove it. knockd times a whole sequence from its first knock (`fromFirst`),
 * the firewalls each knock from the last; knockd only lets knockers in (`opensOnly`): it guards
 * nothing without the admin's own rules.
 */
export function header(door: Door, format: string, version: string, how: string[], fromFirst = false, opensOnly = false): string[] {
  const ports = door.services.join(',');
  const proto = door.serviceProtocol.toUpperCase();
  const service = `${proto} port${door.services.length > 1 ? 's' : ''} ${ports} (${familiesText(door.families)})`;
  return [
    `# knock rules for profile '${door.name}'${door.host ? ` (host ${door.host})` : ''}: ${format}, by knock ${version}`,
    opensOnly
      ? `# Opens ${service} to an address that knocked the open`
      : `# Guards ${service}: new ${door.serviceProtocol === 'udp' ? 'datagrams' : 'connections'} only from an address that knocked the open`,
    `# sequence (${door.open.length} knock${door.open.length === 1 ? '' : 's'}, ${fromFirst ? 'all' : 'each'} within ${door.seqTimeout} s of the ${fromFirst ? 'first' : 'one before'})` +
      (door.openFor ? `, for ${door.openFor} s after it;` : ';'),
    `# ${door.close ? `the close sequence (${door.close.length} knock${door.close.length === 1 ? '' : 's'}) shuts it again` : 'no close sequence'}. ${opensOnly ? 'Established traffic stays up with the rules below.' : 'Established traffic stays up.'}`,
    ...how.map((line) => `# ${line}`),
  ];
}

// The door every format writes: a profile checked for the server side (names safe to become
// chain, set and section names; service ports; whole seconds) and the header they all print.
import { createHash } from 'node:crypto';
import { ConfigError } from '../shared/errors.js';
import { formatKnock, type Knock, type Protocol } from '../knock/tokens.js';
import type { Profile } from '../store/profiles.js';

export type RulesFormat = 'iptables' | 'nftables' | 'knockd';
export const RULES_FORMATS: readonly RulesFormat[] = ['iptables', 'nftables', 'knockd'];

export interface Door {
  /** The profile's name, checked to be plain (letters, digits, `.`, `_`, `-`). */
  name: string;
  /** At most ID_MAX characters of the same alphabet: the stem of every chain, set and list name. */
  id: string;
  host?: string;
  /** TCP ports behind the door. */
  services: number[];
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
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/**
 * The name's stem for firewall objects: the name itself when short enough, else its start and
 * a hash of the whole, so that two long names sharing a start still get tables of their own.
 */
export function doorId(name: string): string {
  if (name.length <= ID_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, ID_MAX - 7)}-${hash}`;
}

/** Validates everything a format will print; nothing from the profile reaches the output unchecked. */
export function doorOf(profile: Profile, servicePorts?: number[]): Door {
  const what = `profile ${JSON.stringify(profile.name)}`;
  if (!PLAIN.test(profile.name)) {
    throw new ConfigError(`${what}: a name for firewall rules may hold only letters, digits, '.', '_' and '-' (and start with a letter or digit); rename the profile`);
  }
  if (profile.host !== undefined && !HOST.test(profile.host)) {
    throw new ConfigError(`${what}: host ${JSON.stringify(profile.host)} is not a plain host name or address`);
  }
  const services = [...new Set(servicePorts ?? [profile.port ?? 22])];
  for (const [which, knocks] of [['open', profile.open], ['close', profile.close ?? []]] as const) {
    knocks.forEach((knock, i) => {
      if (knock.protocol === 'tcp' && services.includes(knock.port)) {
        throw new ConfigError(`${what}: ${which} knock ${i + 1} (${formatKnock(knock)}) is on the service port: the door could never see it as a knock`);
      }
    });
  }
  const all = [...profile.open, ...(profile.close ?? [])];
  const door: Door = {
    name: profile.name,
    id: doorId(profile.name),
    services,
    open: profile.open,
    seqTimeout: Math.ceil(profile.seqTimeout),
    protocols: (['tcp', 'udp', 'icmp'] as const).filter((p) => all.some((k) => k.protocol === p)),
  };
  if (profile.host !== undefined) door.host = profile.host;
  if (profile.close) door.close = profile.close;
  if (profile.openFor !== undefined) door.openFor = profile.openFor;
  return door;
}

/**
 * The comment lines every format starts with; `how` says how to load and remove it. knockd
 * times a whole sequence from its first knock (`fromFirst`), the firewalls each knock from the last.
 */
export function header(door: Door, format: string, version: string, how: string[], fromFirst = false): string[] {
  const ports = door.services.join(',');
  return [
    `# knock rules for profile '${door.name}'${door.host ? ` (host ${door.host})` : ''}: ${format}, by knock ${version}`,
    `# Guards TCP port${door.services.length > 1 ? 's' : ''} ${ports}: new connections only from an address that knocked the open`,
    `# sequence (${door.open.length} knock${door.open.length === 1 ? '' : 's'}, ${fromFirst ? 'all' : 'each'} within ${door.seqTimeout} s of the ${fromFirst ? 'first' : 'one before'})` +
      (door.openFor ? `, for ${door.openFor} s after it;` : ';'),
    door.close ? `# the close sequence (${door.close.length} knock${door.close.length === 1 ? '' : 's'}) shuts it again. Established connections stay up.` : '# no close sequence. Established connections stay up.',
    ...how.map((line) => `# ${line}`),
  ];
}

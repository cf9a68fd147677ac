// An IPv6 address's %zone, read one way wherever knock takes an address (the knock path, lint,
// serve --bind, --source): an interface of this machine named, or given by its index as ssh,
// ping and getaddrinfo accept it (fe80::1%2), and always handed on by name, since the socket
// layer below Node reads a zone as a name only and silently drops one it cannot find.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { isIP } from './ip.js';
import { ConfigError } from './errors.js';
import { printable } from './printable.js';

export type Interfaces = () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
/** An interface's index (if_nametoindex), or undefined when it has none to be had. */
export type InterfaceIndex = (name: string) => number | undefined;

/** This machine's interfaces as far as zones go: their names, and how to get an index. */
export interface Machine {
  interfaces: Interfaces;
  indexOf?: InterfaceIndex;
}

/**
 * Linux's own number for an interface (/sys/class/net/NAME/ifindex), which also covers one
 * with no link-local address (lo); undefined elsewhere, or for an address label (eth0:1).
 */
export const systemInterfaceIndex: InterfaceIndex = (name) => {
  if (process.platform !== 'linux' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return undefined;
  try {
    const text = readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim();
    return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
};

/** The machine knock runs on; `interfaces` given (a test's fake): only what that says. */
export function machineOf(interfaces?: Interfaces, indexOf?: InterfaceIndex): Machine {
  if (interfaces) return indexOf ? { interfaces, indexOf } : { interfaces };
  return { interfaces: os.networkInterfaces, indexOf: indexOf ?? systemInterfaceIndex };
}

/**
 * `ADDRESS%ZONE` split, when ADDRESS is an IPv6 address; undefined for anything else. Taken
 * wider than Node's isIP takes it (fe80::1%, fe80::1%%, a zone of any characters), so that
 * such a host is refused as a bad zone, never sent to the resolver as a name.
 */
export function splitZone(host: string): { address: string; zone: string } | undefined {
  const at = host.indexOf('%');
  if (at < 0) return undefined;
  const address = host.slice(0, at);
  return isIP(address) === 6 ? { address, zone: host.slice(at + 1) } : undefined;
}

/** The %zone of an IPv6 literal (fe80::1%eth0: 'eth0'), or undefined. */
export function zoneOf(address: string): string | undefined {
  return splitZone(address)?.zone;
}

/** 2^32 - 1: a zone index is a 32-bit scope id (sin6_scope_id). */
const MAX_INDEX = 4294967295n;

/** The index a zone written in decimal digits gives, leading zeros and all (as getaddrinfo reads it); undefined past 32 bits. */
function zoneIndex(zone: string): number | undefined {
  const value = BigInt(zone);
  return value <= MAX_INDEX ? Number(value) : undefined;
}

/** Every interface name with its index (where one is known), for the message that lists them. */
function indexed(machine: Machine, names: string[]): Map<string, number | undefined> {
  const all = machine.interfaces();
  const out = new Map<string, number | undefined>();
  for (const name of names) {
    // Where no index comes from the system, a link-local address's scope id is that index.
    const scoped = (all[name] ?? []).find((info) => info.family === 'IPv6' && info.scopeid !== undefined && info.scopeid > 0);
    out.set(name, machine.indexOf?.(name) ?? scoped?.scopeid);
  }
  return out;
}

/**
 * `address` with its zone written as the name of this machine's interface it names, by name or
 * by index; `address` as it is when it has no zone. A zone naming no interface here, empty or
 * of characters no interface has, is refused (exit 2): a socket would ignore it and knock
 * whichever link the kernel picks, or none.
 */
export function scopedAddress(address: string, machine: Machine): string {
  const split = splitZone(address);
  if (!split) return address;
  const { zone } = split;
  const shown = `'${printable(address, 64)}'`;
  if (zone === '') throw new ConfigError(`${shown}: an empty zone (after '%' comes an interface name or index)`);
  const names = Object.keys(machine.interfaces());
  // A name first, as getaddrinfo tries one first: an interface may be called "2".
  if (names.includes(zone) && isIP(`${split.address}%${zone}`) === 6) return address;
  if (/^[0-9]+$/.test(zone)) {
    const index = zoneIndex(zone);
    const byIndex = indexed(machine, names);
    const name = index === undefined ? undefined : [...byIndex].find(([, i]) => i === index)?.[0];
    if (name !== undefined && isIP(`${split.address}%${name}`) === 6) return `${split.address}%${name}`;
    const listed = [...byIndex].map(([n, i]) => (i === undefined ? n : `${n} ${i}`)).join(', ');
    throw new ConfigError(`${shown}: no interface with index ${printable(zone, 32)} on this machine (interfaces: ${listed || 'none'})`);
  }
  throw new ConfigError(`${shown}: no interface '${printable(zone, 32)}' on this machine (interfaces: ${names.join(', ') || 'none'})`);
}

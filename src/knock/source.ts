// Where knocks leave from: `--source ADDRESS|INTERFACE` made into a local address of the
// plan's family, refused before any packet when this machine has no such address.
import os from 'node:os';
import { isIP } from '../shared/ip.js';
import { RuntimeError } from '../shared/errors.js';
import { canonicalAddress } from '../shared/address.js';
import { machineOf, scopedAddress, splitZone, type Machine } from '../shared/zone.js';

const isLinkLocal = (info: os.NetworkInterfaceInfo) => info.family === 'IPv6' && /^fe[89ab]/i.test(info.address);

/**
 * The address to bind for `family`: `source` itself when it is an address of one of this
 * machine's interfaces, or the first usable address of the interface named `source`. IPv6
 * link-local addresses are skipped: they need a scope, and knock targets are routed.
 */
export function localSource(source: string, family: 4 | 6, machine: Machine = machineOf()): string {
  const all = machine.interfaces();
  const written = source.replace(/^\[(.*)\]$/, '$1');
  // A link-local source needs its zone, read as every zone is (by name or index, named after).
  const literal = splitZone(written) ? scopedAddress(written, machine) : written;
  const ipFamily = isIP(literal);
  if (ipFamily) {
    if (ipFamily !== family) {
      throw new RuntimeError(`source ${literal} is an IPv${ipFamily} address, but the knocks go to an IPv${family} address`);
    }
    // Compared in one spelling (case, zero padding, '::'): 2001:db8::1 written long is still ours.
    // The interface's own spelling is what gets bound.
    // With a zone, the address must be that interface's own.
    const zone = splitZone(literal)?.zone;
    const mine = (zone === undefined ? Object.values(all) : [all[zone]])
      .flatMap((infos) => infos ?? [])
      .find((info) => canonicalAddress(info.address) === canonicalAddress(literal) && isIP(info.address) === family);
    if (!mine) throw new RuntimeError(`source ${literal} is not an address of this machine (see ip addr, or give an interface name)`);
    return literal;
  }
  const infos = all[source];
  if (!infos) {
    const names = Object.keys(all).join(', ');
    throw new RuntimeError(`source '${source}' is neither an IP address nor an interface of this machine (interfaces: ${names || 'none'})`);
  }
  const match = infos.find((info) => info.family === `IPv${family}` && !isLinkLocal(info));
  if (!match) throw new RuntimeError(`interface ${source} has no IPv${family} address to knock from${family === 6 ? ' (link-local ones are not used)' : ''}`);
  return match.address;
}

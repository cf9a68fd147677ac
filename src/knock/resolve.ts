// Resolves a host once, the way ssh does (getaddrinfo, honouring /etc/hosts and -4/-6).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from '../shared/ip.js';
import { ConfigError, RuntimeError, UsageError, reasonOf } from '../shared/errors.js';
import { notOneHost } from '../shared/address.js';
import { printable } from '../shared/printable.js';

export type FamilyOption = 0 | 4 | 6;
export interface Resolved {
  address: string;
  family: 4 | 6;
}
export type Lookup = (host: string, family: FamilyOption) => Promise<Resolved>;

export const systemLookup: Lookup = async (host, family) => {
  const { address, family: found } = await dnsLookup(host, { family, verbatim: true });
  return { address, family: found === 6 ? 6 : 4 };
};

/** A resolver that gives up after `timeoutMs`: a dead DNS server must not hang a knock. */
export async function resolveHost(
  host: string,
  family: FamilyOption,
  lookup: Lookup = systemLookup,
  timeoutMs = 5000,
): Promise<Resolved> {
  // A NUL or newline in a host would be cut or split by the resolver and the terminal: refused,
  // and shown escaped and cut, never raw (a store's host may be anything).
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(host)) throw new ConfigError(`host '${printable(host, 64)}' holds a control character; not a host name or address`);
  if (!isIP(host.replace(/^\[(.*)\]$/, '$1'))) {
    const tooLong = dnsNameTooLong(host);
    if (tooLong) throw new ConfigError(`host '${printable(host, 64)}' is not a host name: ${tooLong}`);
  }
  const resolved = await resolveOnce(host, family, lookup, timeoutMs);
  const why = notOneHost(resolved.address);
  if (why) throw new ConfigError(`'${printable(host, 64)}'${resolved.address === host ? '' : ` (${resolved.address})`} is ${why}; a knock goes to one host`);
  return resolved;
}

/** Why a name cannot be a DNS name by its lengths (RFC 1035: 253 characters, labels of 1-63), or undefined. */
export function dnsNameTooLong(host: string): string | undefined {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253) return `${name.length} characters (a DNS name has at most 253)`;
  const long = name.split('.').find((label) => label.length > 63);
  if (long !== undefined) return `a label of ${long.length} characters (at most 63)`;
  if (name.split('.').some((label) => label === '')) return 'an empty label (two dots in a row, or a leading dot)';
  return undefined;
}

/** The other family's lookup waits less than the first: a slow answer only costs the fallback. */
export const OTHER_FAMILY_TIMEOUT_MS = 2000;

/**
 * A host with no family asked for: the resolver's first address and, when the name has one, the
 * other family's too (a dual-stack host, knocked on both). A literal is one family and needs no
 * lookup; the second lookup failing is not an error: the host has one family.
 */
export async function resolveEveryFamily(host: string, lookup: Lookup = systemLookup): Promise<[Resolved] | [Resolved, Resolved]> {
  const first = await resolveHost(host, 0, lookup);
  if (isIP(host.replace(/^\[(.*)\]$/, '$1'))) return [first];
  const other = await resolveHost(host, first.family === 4 ? 6 : 4, lookup, OTHER_FAMILY_TIMEOUT_MS).catch(() => undefined);
  return other && other.family !== first.family ? [first, other] : [first];
}

async function resolveOnce(host: string, family: FamilyOption, lookup: Lookup, timeoutMs: number): Promise<Resolved> {
  const literal = isIP(host.replace(/^\[(.*)\]$/, '$1'));
  if (literal) {
    const address = host.replace(/^\[(.*)\]$/, '$1');
    if (family !== 0 && family !== literal) {
      // The line contradicts itself: a usage error, not a failure of the network.
      throw new UsageError(`'${printable(host, 64)}' is an IPv${literal} address but -${family} was given`);
    }
    return { address, family: literal as 4 | 6 };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RuntimeError(`cannot resolve '${printable(host, 64)}': no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([lookup(host, family), timeout]);
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // -6 for a name with only an IPv4 address (in /etc/hosts, say) ends in a DNS query that
    // may fail any way (EAI_AGAIN offline): say what the name does have.
    if (family !== 0) {
      const other = await lookup(host, family === 4 ? 6 : 4).catch(() => undefined);
      if (other) throw new RuntimeError(`cannot resolve '${printable(host, 64)}': it has no IPv${family} address (only IPv${other.family} ${other.address}), but -${family} was given`);
    }
    const why =
      code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA'
        ? `no ${family ? `IPv${family} ` : ''}address found`
        : host.length > 64 ? reasonOf(error).split(host).join('(the host)') : reasonOf(error);
    throw new RuntimeError(`cannot resolve '${printable(host, 64)}': ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

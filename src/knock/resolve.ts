// Resolves a host once, the way ssh does (getaddrinfo, honouring /etc/hosts and -4/-6).
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { RuntimeError, UsageError, reasonOf } from '../shared/errors.js';

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
  const literal = net.isIP(host.replace(/^\[(.*)\]$/, '$1'));
  if (literal) {
    const address = host.replace(/^\[(.*)\]$/, '$1');
    if (family !== 0 && family !== literal) {
      // The line contradicts itself: a usage error, not a failure of the network.
      throw new UsageError(`'${host}' is an IPv${literal} address but -${family} was given`);
    }
    return { address, family: literal as 4 | 6 };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RuntimeError(`cannot resolve '${host}': no answer within ${timeoutMs / 1000} s`)), timeoutMs);
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
      if (other) throw new RuntimeError(`cannot resolve '${host}': it has no IPv${family} address (only IPv${other.family} ${other.address}), but -${family} was given`);
    }
    const why =
      code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA'
        ? `no ${family ? `IPv${family} ` : ''}address found`
        : reasonOf(error);
    throw new RuntimeError(`cannot resolve '${host}': ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

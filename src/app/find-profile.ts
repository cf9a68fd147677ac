// From what the user typed (a profile name, a profile's host, an ssh alias or HostName)
// to a profile and the host name to resolve.
import { ConfigError } from '../shared/errors.js';
import type { Profile, ProfileStore } from '../store/profiles.js';
import type { SshLookup } from '../ssh/lazy-config.js';

/**
 * A target finds its profile by name, then by a profile's `host`, then through
 * ~/.ssh/config: the target's HostName as a profile name or host, or a profile named after
 * an ssh alias whose HostName is the target (or the target's HostName).
 */
export async function findProfile(store: ProfileStore, target: string, ssh: SshLookup, port?: number): Promise<Profile | undefined> {
  const byName = store.profiles.get(target);
  if (byName) return byName;
  const profiles = [...store.profiles.values()];
  const byHost = profiles.filter((p) => sameHost(p.host, target));
  if (byHost.length > 0) return pick(byHost, target, port);
  const sshHost = await ssh.lookup(target);
  if (sshHost) {
    const named = store.profiles.get(sshHost.hostName);
    if (named) return named;
    const hits = profiles.filter((p) => sameHost(p.host, sshHost.hostName));
    if (hits.length > 0) return pick(hits, target, port ?? sshHost.port);
  }
  // Another alias of the same machine: its HostName is the target, or the target's HostName.
  const viaAliases: Profile[] = [];
  // Only an alias that names a profile can give one: the others are not looked up at all
  // (aliases are distinct, so each profile is found once).
  for (const alias of await ssh.aliases()) {
    const hit = store.profiles.get(alias);
    if (!hit) continue;
    const viaSsh = await ssh.lookup(alias);
    if (viaSsh && (sameHost(viaSsh.hostName, target) || sameHost(viaSsh.hostName, sshHost?.hostName ?? ''))) viaAliases.push(hit);
  }
  return viaAliases.length > 0 ? pick(viaAliases, target, port) : undefined;
}

/**
 * Several profiles for one host: the one whose port is the port asked for (proxy's %p, or the
 * ssh Port); otherwise the choice is the user's, never silently the first.
 */
function pick(candidates: Profile[], target: string, port: number | undefined): Profile {
  if (candidates.length === 1) return candidates[0]!;
  const samePort = port === undefined ? [] : candidates.filter((p) => p.port === port);
  if (samePort.length === 1) return samePort[0]!;
  const names = (samePort.length > 1 ? samePort : candidates).map((p) => `'${p.name}'${p.port ? ` (port ${p.port})` : ''}`);
  const which = port === undefined ? '' : ` for port ${port}`;
  throw new ConfigError(`'${target}' matches ${names.length} profiles${which}: ${names.join(', ')}; name the profile instead`);
}

export interface HostOfProfile {
  /** The name or address to resolve. */
  host: string;
  /** The service port from ~/.ssh/config or the profile, if any. */
  port?: number;
}

/** Where a profile knocks: its host, else the ssh HostName of its name, else its name. */
export async function hostOfProfile(profile: Profile, ssh: SshLookup): Promise<HostOfProfile> {
  const viaSsh = profile.host ? undefined : await ssh.lookup(profile.name);
  const result: HostOfProfile = { host: profile.host ?? viaSsh?.hostName ?? profile.name };
  const port = profile.port ?? viaSsh?.port;
  if (port !== undefined) result.port = port;
  return result;
}

function sameHost(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

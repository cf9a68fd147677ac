// From what the user typed (a profile name, a profile's host, an ssh alias or HostName)
// to a profile and the host name to resolve.
import type { Profile, ProfileStore } from '../store/profiles.js';
import type { SshConfig } from '../ssh/config.js';

/**
 * A target finds its profile by name, then by a profile's `host`, then through
 * ~/.ssh/config: the target's HostName as a profile name or host, or a profile named after
 * an ssh alias whose HostName is the target (or the target's HostName).
 */
export async function findProfile(store: ProfileStore, target: string, ssh: SshConfig): Promise<Profile | undefined> {
  const byName = store.profiles.get(target);
  if (byName) return byName;
  const profiles = [...store.profiles.values()];
  const byHost = profiles.find((p) => sameHost(p.host, target));
  if (byHost) return byHost;
  const sshHost = await ssh.lookup(target);
  if (sshHost) {
    const hit = store.profiles.get(sshHost.hostName) ?? profiles.find((p) => sameHost(p.host, sshHost.hostName));
    if (hit) return hit;
  }
  // Another alias of the same machine: its HostName is the target, or the target's HostName.
  for (const alias of await ssh.aliases()) {
    const viaSsh = await ssh.lookup(alias);
    if (!viaSsh || !(sameHost(viaSsh.hostName, target) || sameHost(viaSsh.hostName, sshHost?.hostName ?? ''))) continue;
    const hit = store.profiles.get(alias);
    if (hit) return hit;
  }
  return undefined;
}

export interface HostOfProfile {
  /** The name or address to resolve. */
  host: string;
  /** The service port from ~/.ssh/config or the profile, if any. */
  port?: number;
}

/** Where a profile knocks: its host, else the ssh HostName of its name, else its name. */
export async function hostOfProfile(profile: Profile, ssh: SshConfig): Promise<HostOfProfile> {
  const viaSsh = profile.host ? undefined : await ssh.lookup(profile.name);
  const result: HostOfProfile = { host: profile.host ?? viaSsh?.hostName ?? profile.name };
  const port = profile.port ?? viaSsh?.port;
  if (port !== undefined) result.port = port;
  return result;
}

function sameHost(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

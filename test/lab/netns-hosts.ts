// /etc/netns/NS/hosts: `ip netns exec NS` bind-mounts it over /etc/hosts for what it runs.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const NETNS_ETC = '/etc/netns';

/**
 * Writes the hosts file a namespace's processes will see. Rewriting it later (same inode)
 * changes what an already running process resolves next, since the bind mount follows it.
 */
export function writeNetnsHosts(ns: string, text: string): string {
  const dir = path.join(NETNS_ETC, ns);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'hosts');
  writeFileSync(file, text);
  return file;
}

/** Removes /etc/netns/NS (never /etc/netns itself, which other namespaces may use). */
export function removeNetnsHosts(ns: string): void {
  rmSync(path.join(NETNS_ETC, ns), { recursive: true, force: true });
}

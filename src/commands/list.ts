// knock list: the profiles of the store, without their sequences unless -v.
import { formatKnockInFull } from '../knock/tokens.js';
import { countKnocks } from '../knock/plan.js';
import type { Profile, ProfileStore } from '../store/profiles.js';
import { readOneTime } from '../store/one-time.js';
import type { Trust } from '../files/guard.js';
import { reasonOf } from '../shared/errors.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';

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

export function profileToJson(profile: Profile, withSequences: boolean, oneTime?: Awaited<ReturnType<typeof oneTimeLeft>>): Record<string, unknown> {
  return {
    name: profile.name,
    ...(profile.host ? { host: profile.host } : {}),
    ...(profile.port ? { port: profile.port } : {}),
    delay: profile.delay,
    seqTimeout: profile.seqTimeout,
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

export const listCommand = defineCommand<object>({
  command: ['list', 'ls'],
  examples: [
    ['knock list -v', 'the profiles with their sequences'],
    ['knock list --json', 'as JSON'],
  ],
  describe: 'list the profiles (sequences only with -v)',
  async run(args, ctx) {
    const store = await ctx.store();
    const profiles = [...store.profiles.values()];
    const oneTime = await Promise.all(profiles.map((p) => oneTimeLeft(p, ctx.trust)));
    if (args.json) {
      ctx.json({ file: store.file ?? null, profiles: profiles.map((p, i) => profileToJson(p, Boolean(args.verbose), oneTime[i])), groups: groupsToJson(store) });
      return 0;
    }
    if (!store.file) {
      ctx.io.stderr.write('knock: no profile store found (knock add NAME HOST KNOCK... creates one)\n');
      return 0;
    }
    if (profiles.length === 0) {
      ctx.io.stderr.write(`knock: no profiles in ${store.file}\n`);
      return 0;
    }
    // Where each profile knocks: its host, else what ~/.ssh/config or DNS makes of its name.
    const hosts = await Promise.all(
      profiles.map(async (p) => {
        if (p.host) return p.host;
        const viaSsh = await ctx.ssh.lookup(p.name);
        return viaSsh ? `${viaSsh.hostName} (ssh config)` : `${p.name} (DNS)`;
      }),
    );
    const nameWidth = Math.max(...profiles.map((p) => p.name.length));
    const hostWidth = Math.max(...hosts.map((h) => h.length));
    for (const [i, p] of profiles.entries()) {
      const t = oneTime[i];
      const open = !t ? undefined : 'error' in t ? `one-time: ${t.error}` : `one-time, ${t.left} left`;
      const sequences = args.verbose
        ? `${open ?? `open: ${p.open.map(formatKnockInFull).join(' ')}`}${p.close ? `  close: ${p.close.map(formatKnockInFull).join(' ')}` : ''}`
        : `${open ?? `open ${countKnocks(p.open.length)}`}${p.close ? `, close ${countKnocks(p.close.length)}` : ''}`;
      // A name or host from the store may hold terminal escapes: shown, not obeyed.
      ctx.io.stdout.write(printable(`${p.name.padEnd(nameWidth)}  ${hosts[i]!.padEnd(hostWidth)}  ${sequences}`) + '\n');
    }
    for (const { name, members } of groupsToJson(store)) ctx.io.stdout.write(`@${name}  ${members.join(' ')}\n`);
    return 0;
  },
});

// knock list: the profiles of the store, without their sequences unless -v.
import { formatKnock } from '../knock/tokens.js';
import { countKnocks } from '../knock/plan.js';
import type { Profile } from '../store/profiles.js';
import { defineCommand } from './command.js';

export function profileToJson(profile: Profile, withSequences: boolean): Record<string, unknown> {
  return {
    name: profile.name,
    ...(profile.host ? { host: profile.host } : {}),
    ...(profile.port ? { port: profile.port } : {}),
    delay: profile.delay,
    seqTimeout: profile.seqTimeout,
    openKnocks: profile.open.length,
    closeKnocks: profile.close?.length ?? 0,
    ...(withSequences ? { open: profile.open.map(formatKnock), ...(profile.close ? { close: profile.close.map(formatKnock) } : {}) } : {}),
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
    if (args.json) {
      ctx.json({ file: store.file ?? null, profiles: profiles.map((p) => profileToJson(p, Boolean(args.verbose))) });
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
      const sequences = args.verbose
        ? `open: ${p.open.map(formatKnock).join(' ')}${p.close ? `  close: ${p.close.map(formatKnock).join(' ')}` : ''}`
        : `open ${countKnocks(p.open.length)}${p.close ? `, close ${countKnocks(p.close.length)}` : ''}`;
      ctx.io.stdout.write(`${p.name.padEnd(nameWidth)}  ${hosts[i]!.padEnd(hostWidth)}  ${sequences}\n`);
    }
    return 0;
  },
});

// knock list: the profiles of the store, without their sequences unless -v.
import { formatKnock } from '../knocks.js';
import type { Profile } from '../profiles.js';
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
    const width = Math.max(...profiles.map((p) => p.name.length));
    for (const p of profiles) {
      const close = p.close ? `, close ${p.close.length}` : '';
      const seq = args.verbose ? `  open: ${p.open.map(formatKnock).join(' ')}${p.close ? `  close: ${p.close.map(formatKnock).join(' ')}` : ''}` : '';
      ctx.io.stdout.write(`${p.name.padEnd(width)}  ${p.host ?? '(ssh config / DNS)'}  open ${p.open.length}${close} knocks${seq}\n`);
    }
    return 0;
  },
});

// knock list: the profiles of the store, without their sequences unless -v.
import { formatKnockInFull } from '../knock/tokens.js';
import { countKnocks } from '../knock/plan.js';
import { formatServicePort } from '../store/profiles.js';
import { groupsToJson, oneTimeLeft, profileToJson, spaSummary } from '../app/profile-view.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';

export const listCommand = defineCommand<object>({
  examples: [
    ['knock list -v', 'the profiles with their sequences'],
    ['knock list --json', 'as JSON'],
  ],
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
    const nameWidth = profiles.reduce((w, p) => Math.max(w, p.name.length), 0);
    const hostWidth = hosts.reduce((w, h) => Math.max(w, h.length), 0);
    // One write for the whole list: a write per line costs a system call per profile.
    const lines: string[] = [];
    for (const [i, p] of profiles.entries()) {
      const t = oneTime[i];
      const open = !t ? undefined : 'error' in t ? `one-time: ${t.error}` : `one-time, ${t.left} left`;
      const sequences = p.spa
        ? spaSummary(p)
        : args.verbose
        ? `${open ?? `open: ${p.open.map(formatKnockInFull).join(' ')}`}${p.close ? `  close: ${p.close.map(formatKnockInFull).join(' ')}` : ''}`
        : `${open ?? `open ${countKnocks(p.open.length)}`}${p.close ? `, close ${countKnocks(p.close.length)}` : ''}`;
      // A name or host from the store may hold terminal escapes: shown, not obeyed.
      // A UDP service is the exception worth a word (ssh-config and proxy refuse it).
      const service = p.port && p.portProtocol ? `, service ${formatServicePort(p.port, p.portProtocol)}` : '';
      const description = p.description ? `  # ${p.description}` : '';
      lines.push(printable(`${p.name.padEnd(nameWidth)}  ${hosts[i]!.padEnd(hostWidth)}  ${sequences}${service}${description}`) + '\n');
    }
    for (const { name, members } of groupsToJson(store)) lines.push(`@${name}  ${members.join(' ')}\n`);
    ctx.io.stdout.write(lines.join(''));
    return 0;
  },
});

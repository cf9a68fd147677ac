// knock show NAME: one profile in full, sequences included (asking for it is the point).
import { requireProfile } from '../app/target.js';
import { formatKnockInFull } from '../knock/tokens.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';
import { oneTimeLeft, profileToJson } from './list.js';

export const showCommand = defineCommand<{ name: string }>({
  command: 'show <name>',
  examples: [
    ['knock show office', 'one profile in full'],
  ],
  describe: 'show one profile, with its sequences',
  builder: (yargs) => yargs.positional('name', { type: 'string', describe: 'profile name, its host, or an ssh alias' }),
  async run(args, ctx) {
    const profile = await requireProfile(ctx, String(args.name));
    const { file } = await ctx.store();
    const oneTime = await oneTimeLeft(profile, ctx.trust);
    if (args.json) {
      ctx.json({ file: file ?? null, ...profileToJson(profile, true, oneTime) });
      return 0;
    }
    const oneTimeText = !oneTime
      ? undefined
      : 'error' in oneTime
        ? `one-time:    ${profile.oneTimeSequences}: ${oneTime.error}`
        : `one-time:    ${profile.oneTimeSequences}: ${oneTime.left} left${oneTime.next ? `, next (line ${oneTime.line}): ${oneTime.next}` : ''}`;
    const lines = [
      `name:        ${profile.name}`,
      `host:        ${profile.host ?? '(ssh config HostName, else the name)'}`,
      ...(profile.port ? [`port:        ${profile.port}`] : []),
      oneTimeText ?? `open:        ${profile.open.map(formatKnockInFull).join(' ')}`,
      ...(profile.close ? [`close:       ${profile.close.map(formatKnockInFull).join(' ')}`] : []),
      `delay:       ${profile.delay} ms`,
      `seq_timeout: ${profile.seqTimeout} s`,
      ...(profile.openFor ? [`open_for:    ${profile.openFor} s`] : []),
      ...(profile.ttl !== undefined ? [`ttl:         ${profile.ttl}`] : []),
      ...(profile.source ? [`source:      ${profile.source}`] : []),
      ...(profile.family ? [`family:      ${profile.family}`] : []),
      `file:        ${file}`,
    ];
    // A name or host from the store may hold terminal escapes: shown, not obeyed.
    ctx.out(lines.map((line) => printable(line)).join('\n'));
    return 0;
  },
});

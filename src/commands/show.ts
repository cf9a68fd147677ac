// knock show NAME: one profile in full, sequences included (asking for it is the point).
import { requireProfile } from '../app/target.js';
import { formatKnockInFull } from '../knock/tokens.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';
import { oneTimeLeft, profileToJson, spaToJson } from '../app/profile-view.js';
import { formatServicePort } from '../store/profiles.js';

export const showCommand = defineCommand<{ name: string }>({
  examples: [
    ['knock show office', 'one profile in full'],
  ],
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
    const spa = spaToJson(profile);
    if (spa) {
      const keyLine = `${String(spa.keyBytes)}-byte key, ${String(spa.hmacKeyBytes)}-byte HMAC key (${String(spa.hmacDigestType)}), not shown`;
      const spaLines = [
        `name:        ${profile.name}`,
        `kind:        spa (fwknop SPA, one packet; no close: access expires on the server)`,
        `host:        ${profile.host ?? '(ssh config HostName, else the name)'}`,
        ...(profile.port ? [`port:        ${profile.port}`] : []),
        `spa port:    udp/${String(spa.port)}`,
        `access:      ${(spa.access as string[]).join(',')}`,
        `allow:       ${String(spa.allow)}`,
        ...(spa.username !== undefined ? [`username:    ${String(spa.username)}`] : []),
        ...(spa.clientTimeout !== undefined ? [`timeout:     ${String(spa.clientTimeout)} s (client_timeout)`] : []),
        ...(spa.timeOffset !== undefined ? [`time offset: ${String(spa.timeOffset)} s`] : []),
        `digests:     message ${String(spa.digestType)}, HMAC ${String(spa.hmacDigestType)}`,
        `keys:        ${keyLine}`,
        ...(profile.source ? [`source:      ${profile.source}`] : []),
        ...(profile.ttl !== undefined ? [`ttl:         ${profile.ttl}`] : []),
        `file:        ${file}`,
      ];
      ctx.out(spaLines.map((line) => printable(line)).join('\n'));
      return 0;
    }
    const lines = [
      `name:        ${profile.name}`,
      ...(profile.description ? [`description: ${profile.description}`] : []),
      `host:        ${profile.host ?? '(ssh config HostName, else the name)'}`,
      ...(profile.port ? [`port:        ${formatServicePort(profile.port, profile.portProtocol)}`] : []),
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

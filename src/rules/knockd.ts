// The door as a knockd.conf section pair: [open-NAME] and [close-NAME], whose commands put an
// ACCEPT for %IP% at the top of INPUT (ahead of the admin's DROP) and take the same rule out.
import { ConfigError } from '../shared/errors.js';
import { formatKnock, type Knock } from '../knock/tokens.js';
import { header, type Door } from './door.js';

export function knockdRules(door: Door, family: 4 | 6, version: string): string {
  for (const [which, knocks] of [['open', door.open], ['close', door.close ?? []]] as const) {
    const i = knocks.findIndex((k) => k.protocol === 'icmp');
    if (i >= 0) {
      throw new ConfigError(`profile '${door.name}': ${which} knock ${i + 1} (${formatKnock(knocks[i]!)}) is ICMP, which knockd cannot match; use --format iptables or nftables`);
    }
  }
  const tool = family === 6 ? '/usr/sbin/ip6tables' : '/usr/sbin/iptables';
  const ports = door.services.length === 1 ? `--dport ${door.services[0]}` : `-m multiport --dports ${door.services.join(',')}`;
  const rule = `INPUT -s %IP% -p tcp ${ports} -j ACCEPT`;
  // knockd runs commands through sh; `-C ||` keeps a second open from stacking a second rule,
  // which one close would not take out.
  const insert = `${tool} -C ${rule} || ${tool} -I ${rule}`;
  const remove = `${tool} -D ${rule}`;
  const section = (name: string, knocks: readonly Knock[], commands: [string, string][]) => [
    `[${name}]`,
    `\tsequence      = ${knocks.map(knockdKnock).join(',')}`,
    `\tseq_timeout   = ${door.seqTimeout}`,
    '\ttcpflags      = syn',
    ...commands.map(([key, value]) => `\t${key.padEnd(13)} = ${value}`),
  ];
  const lines = [
    ...header(door, `knockd.conf sections${family === 6 ? ' (ip6tables)' : ''}`, version, [
      'Add to knockd.conf below its [options]. Established connections need a rule of your own,',
      'such as `-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`.',
    ], true),
    ...section(
      `open-${door.id}`,
      door.open,
      door.openFor
        ? [
            ['start_command', insert],
            ['cmd_timeout', String(door.openFor)],
            ['stop_command', remove],
          ]
        : [['command', insert]],
    ),
  ];
  if (door.close) lines.push('', ...section(`close-${door.id}`, door.close, [['command', remove]]));
  lines.push('');
  return lines.join('\n');
}

function knockdKnock(knock: Knock): string {
  return knock.protocol === 'icmp' ? formatKnock(knock) : `${knock.port}:${knock.protocol}`;
}

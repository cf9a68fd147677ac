// The door as a knockd.conf section pair: [open-NAME] and [close-NAME], whose commands put an
// ACCEPT for %IP% at the top of INPUT (ahead of the admin's DROP) and take the same rule out:
// `command` with iptables for IPv4 knockers, `command_6` with ip6tables for IPv6 ones.
import { ConfigError } from '../shared/errors.js';
import { formatKnock, type Knock } from '../knock/tokens.js';
import { familiesText, header, type Door, type DoorFamily } from './door.js';

export const KNOCKD_SEQ_MAX = 32;
const TOOL: Record<DoorFamily, string> = { 4: '/usr/sbin/iptables', 6: '/usr/sbin/ip6tables' };

export function knockdRules(door: Door, version: string): string {
  for (const [which, knocks] of [['open', door.open], ['close', door.close ?? []]] as const) {
    const i = knocks.findIndex((k) => k.protocol === 'icmp');
    if (i >= 0) {
      throw new ConfigError(`profile '${door.name}': ${which} knock ${i + 1} (${formatKnock(knocks[i]!)}) is ICMP, which knockd cannot match; use --format iptables or nftables`);
    }
  }
  for (const [which, knocks] of [['open', door.open], ['close', door.close ?? []]] as const) {
    // knockd 0.8's SEQ_MAX: a longer sequence makes it refuse the whole file and not start.
    if (knocks.length > KNOCKD_SEQ_MAX) {
      throw new ConfigError(`profile '${door.name}': the ${which} sequence has ${knocks.length} knocks; knockd takes at most ${KNOCKD_SEQ_MAX} (a longer one stops it from starting)`);
    }
  }
  const sp = door.serviceProtocol;
  const ports = door.services.length === 1 ? `--dport ${door.services[0]}` : `-m multiport --dports ${door.services.join(',')}`;
  const rule = `INPUT -s %IP% -p ${sp} ${ports} -j ACCEPT`;
  // knockd runs commands through sh; `-C ||` keeps a second open from stacking a second rule,
  // which one close would not take out.
  const insert = (f: DoorFamily) => `${TOOL[f]} -C ${rule} || ${TOOL[f]} -I ${rule}`;
  const remove = (f: DoorFamily) => `${TOOL[f]} -D ${rule}`;
  // knockd 0.8 runs `command_6` (`start_command_6`, `stop_command_6`) for an IPv6 knocker and,
  // when a section has none, the IPv4 command with the IPv6 address, which iptables refuses. An
  // empty value runs nothing: a family the profile leaves out opens nothing.
  const has = (f: DoorFamily) => door.families.includes(f);
  const both = (key: string, command: (f: DoorFamily) => string): [string, string][] => [
    [key, has(4) ? command(4) : ''],
    [`${key}_6`, has(6) ? command(6) : ''],
  ];
  const section = (name: string, knocks: readonly Knock[], commands: [string, string][]) => [
    `[${name}]`,
    `\tsequence        = ${knocks.map(knockdKnock).join(',')}`,
    `\tseq_timeout     = ${door.seqTimeout}`,
    '\ttcpflags        = syn',
    ...commands.map(([key, value]) => `\t${key.padEnd(15)} =${value ? ` ${value}` : ''}`),
  ];
  const name = door.name.replaceAll('.', '\\.');
  const services = door.services.join(',');
  const admin = door.families.flatMap((f) => {
    const tool = f === 6 ? 'ip6tables' : 'iptables';
    return [`  ${tool} -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`, `  ${tool} -A INPUT -p ${sp} ${ports} -j DROP`];
  });
  const payloads = [...door.open, ...(door.close ?? [])].some((k) => k.protocol === 'udp' && k.payload !== undefined);
  const lines = [
    ...header(door, 'knockd.conf sections', version, [
      `knockd only lets knockers in (command for IPv4, command_6 for IPv6): nothing is guarded until`,
      `your own rules drop the service and keep established traffic, ahead of anything that accepts it:`,
      ...admin,
      `knockd 0.8 forgets every other address's sequence in progress when one completes at the head of`,
      `its list: two knockers' sequences must not interleave (knock sends one family's sequence whole, then the other's).`,
      ...(payloads ? ['knockd does not read UDP payloads: any datagram to a knock port counts as that knock.'] : []),
      `Load: append to /etc/knockd.conf, below its [options] (${familiesText(door.families)}; knockd must not run with -4), then systemctl restart knockd.`,
      "Debian's sample sections ([openSSH], [closeSSH], [openHTTPS]) open to their published sequences: delete them.",
      `Remove: sed -i '/^# knock rules for profile .${name}.[: ].*knockd\\.conf sections/,/^# end of knock rules for profile .${name}.$/d' /etc/knockd.conf && systemctl restart knockd`,
      `An address let in and not closed keeps its rule: \`${door.families.map((f) => (f === 6 ? 'ip6tables' : 'iptables')).join('`/`')} -D ${rule.replace('%IP%', 'ADDRESS')}\`.`,
    ], true, true),
    ...section(`open-${door.id}`, door.open, door.openFor ? [...both('start_command', insert), ['cmd_timeout', String(door.openFor)], ...both('stop_command', remove)] : both('command', insert)),
  ];
  if (door.close) lines.push('', ...section(`close-${door.id}`, door.close, both('command', remove)));
  lines.push(`# end of knock rules for profile '${door.name}'`, '');
  return lines.join('\n');
}

function knockdKnock(knock: Knock): string {
  return knock.protocol === 'icmp' ? formatKnock(knock) : `${knock.port}:${knock.protocol}`;
}

// The door as `iptables-restore --noflush` input: chains of its own, one jump from the top of
// INPUT, and the state machine in xt_recent lists (one per stage), in the seed recipes' style.
// One family per file: ip6tables-restore takes the IPv6 half.
import { payloadBytes, type Knock } from '../knock/tokens.js';
import { chainNames, header, type Door, type DoorFamily } from './door.js';
import { icmpLength, machineSteps, type StageList, type Step, type Target } from './stages.js';

/** xt_string's longest pattern (XT_STRING_MAX_PATTERN_SIZE): a longer payload is matched in pieces. */
const STRING_CHUNK = 128;

export function iptablesRules(door: Door, family: DoorFamily, version: string): string {
  const tool = family === 6 ? 'ip6tables' : 'iptables';
  const names = chainNames(door);
  const chain = names.main;
  const knockChain = names.knock;
  const openChain = names.open;
  const closeChain = names.close;
  const chains = [chain, knockChain, openChain, ...(door.close ? [closeChain] : [])];
  // xt_recent lists are shared by both families' rules in a namespace: keep them apart.
  const list = (name: string) => `${family === 6 ? 'knock6' : 'knock'}-${door.id}-${name}`;
  const opened = list('opened');
  const stageName = (s: StageList) => list(`${s.machine}${s.stage}`);
  const fresh = `--seconds ${door.seqTimeout}`;
  const sp = door.serviceProtocol;
  const services = door.services.length === 1 ? `--dport ${door.services[0]}` : `-m multiport --dports ${door.services.join(',')}`;
  const newService = sp === 'tcp' ? `-p tcp --syn ${services} -m conntrack --ctstate NEW` : `-p udp ${services} -m conntrack --ctstate NEW`;
  const refuse = sp === 'tcp' ? 'tcp-reset' : family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable';

  const match = (knock: Knock): string =>
    knock.protocol === 'icmp'
      ? `${echo(family)} -m length --length ${icmpLength(knock.size, family)}`
      : knock.protocol === 'udp' && knock.payload !== undefined
        ? `-p udp --dport ${knock.port} ${payloadMatch(payloadBytes(knock.payload), family)}`
        : `-p ${knock.protocol} --dport ${knock.port}`;
  const into = (target: Target): string =>
    'stage' in target
      ? `-m recent --name ${stageName(target.stage)} --set`
      : target.opened === 'add'
        ? `-m recent --name ${opened} --set`
        : `-m recent --name ${opened} --remove`;
  // A step taken ends the machine: the open one returns to INPUT; the close one hands the
  // packet on to the open one, so that a knock both sequences share still counts for the open
  // (a source re-knocking the open sequence to renew open_for is still on the opened list).
  const step = (c: string, s: Step): string => {
    const taken = c === closeChain ? `-g ${openChain}` : '-j RETURN';
    switch (s.kind) {
      case 'advance':
        return `-A ${c} ${match(s.knock)} -m recent --name ${stageName(s.from)} --rcheck ${fresh} -m recent --name ${stageName(s.from)} --remove ${into(s.to)} ${taken}`;
      case 'repeat':
        return `-A ${c} ${match(s.knock)} -m recent --name ${stageName(s.at)} --rcheck ${fresh} ${taken}`;
      case 'reset':
        return `-A ${c} -m recent --name ${stageName(s.at)} --remove`;
      case 'start':
        return `-A ${c} ${match(s.knock)} ${into(s.to)} ${taken}`;
    }
  };

  const other = family === 4 ? 6 : 4;
  const half = door.families.length > 1
    ? [`IPv${family} only: the IPv${other} half is \`knock rules ${door.name} --format iptables -${other}\`, loaded with ${other === 6 ? 'ip6tables' : 'iptables'}-restore --noflush.`]
    : [];
  const lines = [
    ...header({ ...door, families: [family] }, family === 6 ? 'ip6tables (IPv6)' : 'iptables (IPv4)', version, [
      ...half,
      'Knock packets go on to your own rules after this; the service port is answered here.',
      `Load: ${tool}-restore --noflush < FILE (a second load stops at "Chain already exists" and changes nothing: run Remove first).`,
      `Remove: ${[`${tool} -D INPUT -j ${chain}`, ...chains.map((c) => `${tool} -F ${c}`), ...chains.map((c) => `${tool} -X ${c}`)].join('; ')}`,
    ]),
    '*filter',
    ...chains.map((c) => `-N ${c}`),
    `-I INPUT -j ${chain}`,
    '# Established traffic of the service stays up, whatever happens to the door later.',
    `-A ${chain} -p ${sp} ${services} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
    `# New ${sp === 'tcp' ? 'connections' : 'datagrams'} to the service: from an opened source only; to anyone else the port looks closed.`,
    `-A ${chain} ${newService} -m recent --name ${opened} --rcheck${door.openFor ? ` --seconds ${door.openFor}` : ''} -j ACCEPT`,
    `-A ${chain} -p ${sp} ${services} -j REJECT --reject-with ${refuse}`,
    '# What looks like a knock (new SYN, new datagram, echo request) goes through the state machine.',
    ...door.protocols.map((p) => `-A ${chain} ${shape(p, family)} -g ${knockChain}`),
    ...(door.close ? [`-A ${knockChain} -m recent --name ${opened} --rcheck -g ${closeChain}`] : []),
    `-A ${knockChain} -g ${openChain}`,
  ];
  if (door.close) {
    lines.push('# The close sequence, while opened; anything it does not take goes on to the open sequence.');
    lines.push(...machineSteps('close', door.close).map((s) => step(closeChain, s)));
    lines.push(`-A ${closeChain} -g ${openChain}`);
  }
  lines.push('# The open sequence: each stage within seq_timeout of the last; a repeat keeps it, anything else resets it.');
  lines.push(...machineSteps('open', door.open).map((s) => step(openChain, s)));
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/**
 * A UDP knock's payload, exactly: the packet's length (IP header, 8 bytes of UDP, the payload)
 * and its bytes at their offset, as hex (nothing from the store is quoted), in pieces of at
 * most 128 bytes each pinned to its place (`--from` to `--to` spans the piece, no more).
 * Offsets assume no IPv4 options or IPv6 extension headers, as knock and knock(1) send.
 */
export function payloadMatch(bytes: Buffer, family: DoorFamily): string {
  const base = family === 6 ? 48 : 28;
  const parts = [`-m length --length ${base + bytes.length}`];
  for (let at = 0; at < bytes.length; at += STRING_CHUNK) {
    const piece = bytes.subarray(at, at + STRING_CHUNK);
    parts.push(`-m string --algo bm --from ${base + at} --to ${base + at + piece.length} --hex-string |${piece.toString('hex')}|`);
  }
  return parts.join(' ');
}

function echo(family: DoorFamily): string {
  return family === 6 ? '-p ipv6-icmp --icmpv6-type echo-request' : '-p icmp --icmp-type echo-request';
}

function shape(protocol: Knock['protocol'], family: DoorFamily): string {
  if (protocol === 'icmp') return echo(family);
  return protocol === 'tcp' ? '-p tcp --syn -m conntrack --ctstate NEW' : '-p udp -m conntrack --ctstate NEW';
}

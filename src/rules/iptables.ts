// The door as `iptables-restore --noflush` input: chains of its own, one jump from the top of
// INPUT, and the state machine in xt_recent lists (one per stage), in the seed recipes' style.
import type { Knock } from '../knock/tokens.js';
import { header, type Door } from './door.js';
import { icmpLength, machineSteps, type StageList, type Step, type Target } from './stages.js';

export function iptablesRules(door: Door, family: 4 | 6, version: string): string {
  const tool = family === 6 ? 'ip6tables' : 'iptables';
  const chain = `knock-${door.id}`;
  const knockChain = `${chain}-knock`;
  const openChain = `${chain}-open`;
  const closeChain = `${chain}-close`;
  const chains = [chain, knockChain, openChain, ...(door.close ? [closeChain] : [])];
  // xt_recent lists are shared by both families' rules in a namespace: keep them apart.
  const list = (name: string) => `${family === 6 ? 'knock6' : 'knock'}-${door.id}-${name}`;
  const opened = list('opened');
  const stageName = (s: StageList) => list(`${s.machine}${s.stage}`);
  const fresh = `--seconds ${door.seqTimeout}`;
  const services = door.services.length === 1 ? `--dport ${door.services[0]}` : `-m multiport --dports ${door.services.join(',')}`;

  const match = (knock: Knock): string =>
    knock.protocol === 'icmp'
      ? `${echo(family)} -m length --length ${icmpLength(knock.size, family)}`
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

  const lines = [
    ...header(door, family === 6 ? 'ip6tables (IPv6)' : 'iptables (IPv4)', version, [
      `Load: ${tool}-restore --noflush < FILE (once: a second load adds a second jump; \`${tool} -D INPUT -j ${chain}\` first).`,
      `Remove: ${tool} -D INPUT -j ${chain}; then ${tool} -F and ${tool} -X ${chains.join(', ')}.`,
      'Knock packets go on to your own rules after this; the service port is answered here.',
    ]),
    '*filter',
    ...chains.map((c) => `:${c} - [0:0]`),
    `-I INPUT -j ${chain}`,
    '# Established connections to the service stay up, whatever happens to the door later.',
    `-A ${chain} -p tcp ${services} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
    '# New connections to the service: from an opened source only; to anyone else the port looks closed.',
    `-A ${chain} -p tcp --syn ${services} -m conntrack --ctstate NEW -m recent --name ${opened} --rcheck${door.openFor ? ` --seconds ${door.openFor}` : ''} -j ACCEPT`,
    `-A ${chain} -p tcp ${services} -j REJECT --reject-with tcp-reset`,
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

function echo(family: 4 | 6): string {
  return family === 6 ? '-p ipv6-icmp --icmpv6-type echo-request' : '-p icmp --icmp-type echo-request';
}

function shape(protocol: Knock['protocol'], family: 4 | 6): string {
  if (protocol === 'icmp') return echo(family);
  return protocol === 'tcp' ? '-p tcp --syn -m conntrack --ctstate NEW' : '-p udp -m conntrack --ctstate NEW';
}

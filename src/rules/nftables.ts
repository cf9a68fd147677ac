// The door as an `nft -f` file: one `table inet knock_<id>` (IPv4 and IPv6 at once; `ip` or
// `ip6` for a profile of one family) with a set per stage and family whose timeout is
// seq_timeout, beside any other table.
import { payloadBytes, type Knock } from '../knock/tokens.js';
import { header, type Door, type DoorFamily } from './door.js';
import { icmpLength, machineSteps, stageLists, type StageList, type Step, type Target } from './stages.js';

type Family = DoorFamily;
/** The longest raw payload match nft 1.0.6 takes in one expression (17 bytes: "Value too large"). */
const RAW_CHUNK = 16;
const addr = (f: Family) => (f === 6 ? 'ip6 saddr' : 'ip saddr');

/** The nft table family of a door: `inet` for both families, else `ip` or `ip6`. */
export function nftFamily(door: Pick<Door, 'families'>): 'inet' | 'ip' | 'ip6' {
  return door.families.length > 1 ? 'inet' : door.families[0] === 6 ? 'ip6' : 'ip';
}

export function nftablesRules(door: Door, version: string): string {
  const FAMILIES = door.families;
  const table = `knock_${door.id}`;
  const kind = nftFamily(door);
  const sp = door.serviceProtocol;
  // In an inet table a port match says which family's sets it feeds; an ip or ip6 table has one.
  const nfproto = (f: Family) => (kind !== 'inet' ? '' : f === 6 ? 'meta nfproto ipv6 ' : 'meta nfproto ipv4 ');
  const setName = (s: StageList | 'opened', f: Family) => `${s === 'opened' ? 'opened' : `${s.machine}${s.stage}`}_v${f}`;
  const services = door.services.length === 1 ? String(door.services[0]) : `{ ${door.services.join(', ')} }`;

  const set = (name: string, f: Family, timeout?: number) =>
    `\tset ${name} { type ${f === 6 ? 'ipv6_addr' : 'ipv4_addr'}; flags dynamic${timeout ? ',timeout' : ''};${timeout ? ` timeout ${timeout}s;` : ''} size 65535; }`;
  const match = (knock: Knock, f: Family): string => {
    if (knock.protocol === 'udp' && knock.payload !== undefined) return `${nfproto(f)}udp dport ${knock.port} ${rawPayload(payloadBytes(knock.payload))}`;
    if (knock.protocol !== 'icmp') return `${nfproto(f)}${knock.protocol} dport ${knock.port}`;
    return f === 6 ? `icmpv6 type echo-request meta length ${icmpLength(knock.size, 6)}` : `icmp type echo-request meta length ${icmpLength(knock.size, 4)}`;
  };
  const into = (target: Target, f: Family): string =>
    'stage' in target
      ? `update @${setName(target.stage, f)} { ${addr(f)} }`
      : target.opened === 'add'
        ? `update @${setName('opened', f)} { ${addr(f)} }`
        : `delete @${setName('opened', f)} { ${addr(f)} }`;
  // One line per family: the sets hold one family each (an echo is ICMP or ICMPv6 by family).
  // A step taken ends the machine; the close one hands the packet on to the open one (see iptables.ts).
  const step = (machine: 'open' | 'close') => (s: Step): string[] =>
    FAMILIES.flatMap((f) => {
      const m = s.kind === 'reset' ? '' : match(s.knock, f);
      const taken = machine === 'close' ? 'goto open' : 'return';
      switch (s.kind) {
        case 'advance':
          return [`\t\t${m} ${addr(f)} @${setName(s.from, f)} delete @${setName(s.from, f)} { ${addr(f)} } ${into(s.to, f)} ${taken}`];
        case 'repeat':
          return [`\t\t${m} ${addr(f)} @${setName(s.at, f)} ${taken}`];
        case 'reset':
          return [`\t\t${addr(f)} @${setName(s.at, f)} delete @${setName(s.at, f)} { ${addr(f)} }`];
        case 'start':
          return [`\t\t${m} ${into(s.to, f)} ${taken}`];
      }
    });

  const sets = FAMILIES.flatMap((f) => [
    ...stageLists('open', door.open).map((s) => set(setName(s, f), f, door.seqTimeout)),
    ...(door.close ? stageLists('close', door.close).map((s) => set(setName(s, f), f, door.seqTimeout)) : []),
    set(setName('opened', f), f, door.openFor),
  ]);
  const shapes = door.protocols.flatMap((p) =>
    p === 'tcp'
      ? ['\t\ttcp flags & (fin | syn | rst | ack) == syn ct state new goto knock']
      : p === 'udp'
        ? ['\t\tmeta l4proto udp ct state new goto knock']
        : FAMILIES.map((f) => (f === 4 ? '\t\ticmp type echo-request goto knock' : '\t\ticmpv6 type echo-request goto knock')),
  );
  const what = kind === 'inet' ? 'IPv4 and IPv6' : kind === 'ip' ? 'IPv4 only' : 'IPv6 only';
  const lines = [
    ...header(door, `nftables (${what}, table ${kind} ${table})`, version, [
      'Another table that drops the service port still drops it: let this table guard it instead.',
      'Load: nft -f FILE (again to replace it: the file first deletes its own table, nothing else).',
      `Remove: nft delete table ${kind} ${table}`,
    ]),
    // `add` then `delete` makes a reload replace the table instead of failing or doubling it.
    `add table ${kind} ${table}`,
    `delete table ${kind} ${table}`,
    `table ${kind} ${table} {`,
    ...sets,
    '',
    '\tchain input {',
    '\t\ttype filter hook input priority filter - 10; policy accept;',
    '\t\t# Established traffic stays up, whatever happens to the door later.',
    '\t\tct state established,related return',
    `\t\t# New ${sp === 'tcp' ? 'connections' : 'datagrams'} to the service: from an opened source only; to anyone else the port looks closed.`,
    ...FAMILIES.map((f) => `\t\t${sp} dport ${services} ct state new ${addr(f)} @${setName('opened', f)} return`),
    sp === 'tcp' ? `\t\ttcp dport ${services} reject with tcp reset` : `\t\tudp dport ${services} reject`,
    '\t\t# What looks like a knock (new SYN, new datagram, echo request) goes through the state machine.',
    ...shapes,
    '\t}',
    '',
    '\tchain knock {',
    ...(door.close ? FAMILIES.map((f) => `\t\t${addr(f)} @${setName('opened', f)} goto close`) : []),
    '\t\tgoto open',
    '\t}',
  ];
  if (door.close) {
    lines.push('', '\t# The close sequence, while opened; anything it does not take goes on to the open sequence.', '\tchain close {');
    lines.push(...machineSteps('close', door.close).flatMap(step('close')), '\t\tgoto open', '\t}');
  }
  lines.push('', '\t# The open sequence: each stage within seq_timeout of the last; a repeat keeps it, anything else resets it.', '\tchain open {');
  lines.push(...machineSteps('open', door.open).flatMap(step('open')), '\t}', '}', '');
  return lines.join('\n');
}

/** A UDP knock's payload, exactly: the UDP length, then its bytes after the 8-byte header, in hex. */
export function rawPayload(bytes: Buffer): string {
  const parts = [`udp length ${8 + bytes.length}`];
  for (let at = 0; at < bytes.length; at += RAW_CHUNK) {
    const piece = bytes.subarray(at, at + RAW_CHUNK);
    parts.push(`@th,${64 + at * 8},${piece.length * 8} 0x${piece.toString('hex')}`);
  }
  return parts.join(' ');
}

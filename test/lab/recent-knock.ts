// An iptables `recent` state machine in the style of the seed recipes (KNOCK1 -> KNOCK2 ->
// KNOCK3 -> KNOCKED, each step within a --seconds window, REJECT, a close port) guarding a
// TCP service in the server namespace. Three knocks: TCP, then UDP, then ICMP matched by size.
import type { Lab } from './netns.js';

export interface RecentKnockSpec {
  family: 4 | 6;
  tcp: number;
  udp: number;
  /** ICMP echo payload bytes; matched as IP length SIZE+28 (IPv4) or SIZE+48 (IPv6). */
  icmpSize: number;
  closePort: number;
  servicePort: number;
  seconds: number;
}

/** The iptables/ip6tables argument lists that build the state machine. */
export function recentKnockRules(spec: RecentKnockSpec): string[][] {
  const v6 = spec.family === 6;
  const list = (n: string) => `v${spec.family}_${n}`;
  const reject = ['-j', 'REJECT', '--reject-with', v6 ? 'icmp6-adm-prohibited' : 'icmp-host-prohibited'];
  const echo = v6 ? ['-p', 'ipv6-icmp', '--icmpv6-type', 'echo-request'] : ['-p', 'icmp', '--icmp-type', 'echo-request'];
  const length = spec.icmpSize + (v6 ? 48 : 28);
  const rules: string[][] = [
    ['-N', 'KNOCKCONTROL'],
    ['-N', 'KNOCK1'],
    ['-N', 'KNOCK2'],
    ['-N', 'KNOCK3'],
    ['-N', 'KNOCKED'],
    ['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'],
    ['-A', 'INPUT', '-m', 'state', '--state', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
  ];
  if (v6) {
    // Neighbour discovery must pass, or IPv6 stops working (and every NS would reset a knock).
    for (const type of ['neighbour-solicitation', 'neighbour-advertisement']) {
      rules.push(['-A', 'INPUT', '-p', 'ipv6-icmp', '--icmpv6-type', type, '-j', 'ACCEPT']);
    }
  }
  rules.push(
    ['-A', 'INPUT', '-i', 'veth0', '-j', 'KNOCKCONTROL'],
    ['-A', 'KNOCKCONTROL', '-m', 'recent', '--rcheck', '--name', list('KNOCKED'), '-j', 'KNOCKED'],
    ['-A', 'KNOCKCONTROL', '-m', 'recent', '--rcheck', '--name', list('K2'), '--seconds', String(spec.seconds), '-j', 'KNOCK3'],
    ['-A', 'KNOCKCONTROL', '-m', 'recent', '--rcheck', '--name', list('K1'), '--seconds', String(spec.seconds), '-j', 'KNOCK2'],
    ['-A', 'KNOCKCONTROL', '-j', 'KNOCK1'],
    ['-A', 'KNOCK1', '-p', 'tcp', '--dport', String(spec.tcp), '-m', 'state', '--state', 'NEW', '-m', 'recent', '--name', list('K1'), '--set', ...reject],
    ['-A', 'KNOCK1', ...reject],
    ['-A', 'KNOCK2', '-m', 'recent', '--name', list('K1'), '--remove'],
    ['-A', 'KNOCK2', '-p', 'udp', '--dport', String(spec.udp), '-m', 'recent', '--name', list('K2'), '--set', ...reject],
    ['-A', 'KNOCK2', '-j', 'KNOCK1'],
    ['-A', 'KNOCK3', '-m', 'recent', '--name', list('K2'), '--remove'],
    ['-A', 'KNOCK3', ...echo, '-m', 'length', '--length', String(length), '-m', 'recent', '--name', list('KNOCKED'), '--set', ...reject],
    ['-A', 'KNOCK3', '-j', 'KNOCK1'],
    ['-A', 'KNOCKED', '-p', 'tcp', '--dport', String(spec.closePort), '-m', 'state', '--state', 'NEW', '-m', 'recent', '--name', list('KNOCKED'), '--remove', ...reject],
    ['-A', 'KNOCKED', '-p', 'tcp', '--dport', String(spec.servicePort), '-m', 'state', '--state', 'NEW', '-j', 'ACCEPT'],
    ['-A', 'KNOCKED', '-j', 'KNOCK1'],
  );
  return rules;
}

export function installRecentKnock(lab: Lab, spec: RecentKnockSpec): void {
  const tool = spec.family === 6 ? 'ip6tables' : 'iptables';
  for (const rule of recentKnockRules(spec)) lab.exec(lab.server, tool, rule);
}

/** A TCP service on both families in the server namespace; resolves once it listens. */
export async function startTcpService(lab: Lab, port: number): Promise<void> {
  // A client that only probes (nc -z) resets the connection: ignore that, keep serving.
  const script = `require('net').createServer((s) => s.on('error', () => {}).end('hello\\n')).listen(${port}, '::', () => console.log('listening'))`;
  const child = lab.spawn(lab.server, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the TCP service did not start')), 10000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the TCP service exited (${code})`)));
  });
}

// The iptables "recent" state machine of seed 001 in a namespace: two TCP knocks open the
// service ports for the knocking address, one TCP knock closes them; everything else is
// rejected with icmp-host-prohibited. Established connections survive the close knock.
import type { Lab } from './netns.js';

export interface RecentDoor {
  open: [number, number];
  close: number;
  /** The ports behind the door. */
  services: number[];
  /** Seconds the second knock may follow the first. */
  seconds?: number;
}

export function installRecentDoor(lab: Lab, ns: string, door: RecentDoor): void {
  const ipt = (...args: string[]) => lab.exec(ns, 'iptables', args);
  const reject = ['-j', 'REJECT', '--reject-with', 'icmp-host-prohibited'];
  const newTcp = (port: number) => ['-m', 'state', '--state', 'NEW', '-m', 'tcp', '-p', 'tcp', '--dport', String(port)];
  for (const chain of ['KNOCK1', 'KNOCK2', 'KNOCKED', 'KNOCKCONTROL']) ipt('-N', chain);
  ipt('-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT');
  ipt('-A', 'INPUT', '-m', 'state', '--state', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
  ipt('-A', 'INPUT', '-j', 'KNOCKCONTROL');
  ipt('-A', 'KNOCK1', ...newTcp(door.open[0]), '-m', 'recent', '--name', 'KNOCK_1_OK', '--set', ...reject);
  ipt('-A', 'KNOCK1', ...reject);
  ipt('-A', 'KNOCK2', '-m', 'recent', '--name', 'KNOCK_1_OK', '--remove');
  ipt('-A', 'KNOCK2', ...newTcp(door.open[1]), '-m', 'recent', '--name', 'KNOCK_2_OK', '--set', ...reject);
  ipt('-A', 'KNOCK2', '-j', 'KNOCK1');
  ipt('-A', 'KNOCKED', ...newTcp(door.close), '-m', 'recent', '--name', 'KNOCK_2_OK', '--remove', ...reject);
  for (const port of door.services) ipt('-A', 'KNOCKED', ...newTcp(port), '-j', 'ACCEPT');
  ipt('-A', 'KNOCKED', '-j', 'KNOCK1');
  ipt('-A', 'KNOCKCONTROL', '-m', 'recent', '--rcheck', '--name', 'KNOCK_2_OK', '-j', 'KNOCKED');
  ipt('-A', 'KNOCKCONTROL', '-m', 'recent', '--rcheck', '--name', 'KNOCK_1_OK', '--seconds', String(door.seconds ?? 10), '-j', 'KNOCK2');
  ipt('-A', 'KNOCKCONTROL', '-j', 'KNOCK1');
}

/** Whether a plain connect from `ns` to host:port is accepted (nc -z, one second at most). */
export function portAccepts(lab: Lab, ns: string, host: string, port: number): boolean {
  try {
    lab.exec(ns, 'nc', ['-z', '-w', '1', host, String(port)]);
    return true;
  } catch {
    return false;
  }
}

// Network namespaces for packet-level tests: a client and a server joined by a veth pair,
// addressed in 198.18.0.0/15 and 2001:db8::/32, with no default route, so nothing can leave.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { until } from '../helpers/until.js';

export const CLIENT_V4 = '198.18.0.1';
export const SERVER_V4 = '198.18.0.2';
export const CLIENT_V6 = '2001:db8:0:1::1';
export const SERVER_V6 = '2001:db8:0:1::2';
/** Where Capture's sentinel SYN goes by default (discard: no test knocks or serves there). */
export const SENTINEL_PORT = 9;

let counter = 0;

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(`${dir}/${tool}`)) || existsSync(`/usr/sbin/${tool}`) || existsSync(`/sbin/${tool}`);
}

/**
 * Why namespace tests cannot run here, or undefined when they can. Under CI (CI=true, root)
 * a missing tool is a failure, not a skip: CI must run these tests.
 */
export function labUnavailable(tools: string[] = []): string | undefined {
  if (!isRoot()) return 'namespace tests need root (ip netns); skipped';
  const missing = ['ip', ...tools].filter((t) => !onPath(t));
  if (missing.length === 0) return undefined;
  const why = `namespace tests need ${missing.join(', ')} (Debian: see .ci/run)`;
  if (process.env.CI) throw new Error(`${why}: CI must run them`);
  return `${why}; skipped`;
}

/** `describe` that runs only where the lab can, and says why when it cannot. */
export function describeLab(name: string, tools: string[], fn: () => void): void {
  const why = labUnavailable(tools);
  if (why) {
    describe(name, () => {
      test.skip(`skipped: ${why}`, () => {});
    });
    // eslint-disable-next-line no-console
    console.warn(`${name}: ${why}`);
    return;
  }
  describe(name, fn);
}

export function sh(ns: string | undefined, command: string, args: string[], input?: string): string {
  const [cmd, argv] = ns ? ['ip', ['netns', 'exec', ns, command, ...args]] : [command, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

export class Lab {
  readonly client: string;
  readonly server: string;
  private readonly children: ChildProcess[] = [];

  private constructor(prefix: string) {
    const id = `${prefix}${process.pid % 100000}x${counter++}`;
    this.client = `${id}c`;
    this.server = `${id}s`;
  }

  /** Two namespaces joined by veth; IPv4 and IPv6 (no DAD wait); loopback up in both. */
  static create(prefix = 'k'): Lab {
    const lab = new Lab(prefix);
    const { client, server } = lab;
    sh(undefined, 'ip', ['netns', 'add', client]);
    sh(undefined, 'ip', ['netns', 'add', server]);
    try {
      sh(undefined, 'ip', ['link', 'add', 'veth0', 'netns', client, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', server]);
      for (const [ns, v4, v6] of [
        [client, CLIENT_V4, CLIENT_V6],
        [server, SERVER_V4, SERVER_V6],
      ] as const) {
        sh(ns, 'ip', ['link', 'set', 'lo', 'up']);
        sh(ns, 'ip', ['addr', 'add', `${v4}/24`, 'dev', 'veth0']);
        sh(ns, 'ip', ['-6', 'addr', 'add', `${v6}/64`, 'dev', 'veth0', 'nodad']);
        sh(ns, 'ip', ['link', 'set', 'veth0', 'up']);
      }
    } catch (error) {
      lab.destroy();
      throw error;
    }
    return lab;
  }

  exec(ns: string, command: string, args: string[], input?: string): string {
    return sh(ns, command, args, input);
  }

  /** A long-running process inside a namespace, killed by destroy(). */
  spawn(ns: string, command: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  destroy(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of [this.client, this.server]) {
      try {
        sh(undefined, 'ip', ['netns', 'pids', ns])
          .split('\n')
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // already gone
            }
          });
      } catch {
        // namespace never existed
      }
      try {
        sh(undefined, 'ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
}

export interface Packet {
  /** seconds, from tcpdump -tt */
  time: number;
  line: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'other';
  src: string;
  dst: string;
  dport?: number;
  /** TCP flags as tcpdump prints them: S, R., F., ... */
  flags?: string;
  /** IP total length (v4) or payload length, when tcpdump -v prints it */
  length?: number;
}

/** tcpdump -n -tt --immediate-mode in a namespace; stop() returns the parsed packets. */
export class Capture {
  private output = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
  }

  /** `flags`: more tcpdump flags (-v for TTLs, -x for bytes); read those with stopText(). */
  static async start(lab: Lab, ns: string, filter: string, iface = 'veth0', flags: string[] = []): Promise<Capture> {
    const child = lab.spawn(ns, 'tcpdump', ['-i', iface, '-n', '-tt', '-l', '--immediate-mode', '-U', ...flags, filter]);
    const capture = new Capture(child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10000);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (err.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
    });
    return capture;
  }

  /** The packets captured so far, while the capture goes on. */
  packets(): Packet[] {
    return this.output.split('\n').slice(0, -1).filter(Boolean).map(parsePacket);
  }

  /**
   * The packets captured before a sentinel SYN from `ns` to host:`port` (a port nothing else in
   * the test uses) sent now, once the capture has shown it. tcpdump prints packets in the order
   * it took them, so whatever reached the capture before the sentinel is in the list, and "not
   * in this list" means "not sent before the sentinel". The positive control for every "no such
   * packet": a capture that had not yet, or no longer, been seeing would never show the sentinel.
   * Send it once nothing under test can still send (its process has exited).
   */
  async beforeSentinel(ns: string, host: string, port = SENTINEL_PORT, timeoutMs = 10000): Promise<Packet[]> {
    const isSentinel = (p: Packet) => p.dport === port && p.flags === 'S';
    const sentBefore = this.packets().filter(isSentinel).length;
    try {
      // One SYN: refused, dropped or accepted, the capture sees it all the same.
      sh(ns, 'nc', ['-z', '-w', '1', host, String(port)]);
    } catch {
      // refused or timed out
    }
    if (!(await until(() => this.packets().filter(isSentinel).length > sentBefore, timeoutMs, 20))) {
      throw new Error(`the capture never showed the sentinel SYN to ${host}:${port}:\n${this.output}`);
    }
    const packets = this.packets();
    return packets.slice(0, packets.indexOf(packets.filter(isSentinel)[sentBefore]!));
  }

  /** beforeSentinel(), then the capture stopped: the packets, with no wait for stragglers. */
  async stopAfterSentinel(ns: string, host: string, port = SENTINEL_PORT): Promise<Packet[]> {
    const packets = await this.beforeSentinel(ns, host, port);
    await this.stop(0);
    return packets;
  }

  async stop(settleMs = 300): Promise<Packet[]> {
    return (await this.stopText(settleMs)).split('\n').filter(Boolean).map(parsePacket);
  }

  /** tcpdump's output as it printed it (several lines a packet with -v or -x). */
  async stopText(settleMs = 300): Promise<string> {
    await new Promise((r) => setTimeout(r, settleMs));
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGINT');
    await exited;
    return this.output;
  }
}

export function parsePacket(line: string): Packet {
  const time = Number(line.split(' ')[0]);
  const m = /^\S+ IP6? (\S+) > (\S+): (.*)$/.exec(line);
  if (!m) return { time, line, proto: 'other', src: '', dst: '' };
  const [, src = '', dstRaw = '', rest = ''] = m;
  const dst = dstRaw.replace(/:$/, '');
  const splitPort = (addr: string): [string, number | undefined] => {
    const i = addr.lastIndexOf('.');
    const port = Number(addr.slice(i + 1));
    return Number.isInteger(port) && i > 0 && /\d/.test(addr.slice(i + 1)) && addr.split('.').length !== 4 ? [addr.slice(0, i), port] : [addr, undefined];
  };
  if (rest.startsWith('ICMP6') || rest.startsWith('ICMP')) {
    return { time, line, proto: rest.startsWith('ICMP6') ? 'icmp6' : 'icmp', src, dst };
  }
  const [dhost, dport] = splitPort(dst);
  const [shost] = splitPort(src);
  const flags = /Flags \[([^\]]+)\]/.exec(rest)?.[1];
  // Ports on both sides and no TCP flags: UDP, whatever tcpdump made of it. tcpdump decodes UDP
  // by port number, so a datagram from an ephemeral source port such as 49152 (BCM-LI) prints
  // as "(length 1 < 4) (invalid)", with no "UDP" in the line.
  const proto = flags !== undefined ? 'tcp' : rest.startsWith('UDP') || /\bUDP\b/.test(rest) || (dport !== undefined && splitPort(src)[1] !== undefined) ? 'udp' : 'other';
  const packet: Packet = { time, line, proto, src: shost, dst: dhost };
  if (dport !== undefined) packet.dport = dport;
  if (flags !== undefined) packet.flags = flags;
  return packet;
}

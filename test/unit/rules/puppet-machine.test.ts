// The Puppet manifest's rules, run by a small model of iptables (chains in title order, the
// `recent` match, jump and RETURN), against the state machine stages.ts describes, run directly:
// for random packet traces from one source, the service is open after the same packets.
import { doorOf, type Door } from '../../../src/rules/door.js';
import { puppetRules, type Family } from '../../../src/rules/puppet.js';
import { icmpLength, machineSteps, type StageList, type Target } from '../../../src/rules/stages.js';
import type { Knock } from '../../../src/knock/tokens.js';
import { parseProfile } from '../../../src/store/profiles.js';

interface Packet {
  proto: 'tcp' | 'udp' | 'icmp';
  port: number;
  /** Echo payload bytes, for ICMP. */
  size: number;
}

type Lists = Map<string, number>;

/** The reference: stages.ts's steps in order, the first that applies taken (iptables.ts's reading). */
class Reference {
  readonly lists: Lists = new Map();
  constructor(private readonly door: Door) {}

  private fresh(name: string, now: number, seconds?: number): boolean {
    const t = this.lists.get(name);
    return t !== undefined && (seconds === undefined || now - t <= seconds * 1000);
  }

  private matches(knock: Knock, p: Packet): boolean {
    return knock.protocol === 'icmp' ? p.proto === 'icmp' && p.size === knock.size : p.proto === knock.protocol && p.port === knock.port;
  }

  private name(s: StageList): string {
    return `${s.machine}${s.stage}`;
  }

  private into(target: Target, now: number): void {
    if ('stage' in target) this.lists.set(this.name(target.stage), now);
    else if (target.opened === 'add') this.lists.set('opened', now);
    else this.lists.delete('opened');
  }

  /** One machine's pass; true when a step was taken. */
  private run(machine: 'open' | 'close', knocks: readonly Knock[], p: Packet, now: number): boolean {
    for (const step of machineSteps(machine, knocks)) {
      if (step.kind === 'advance' && this.matches(step.knock, p) && this.fresh(this.name(step.from), now, this.door.seqTimeout)) {
        this.lists.delete(this.name(step.from));
        this.into(step.to, now);
        return true;
      }
      if (step.kind === 'repeat' && this.matches(step.knock, p) && this.fresh(this.name(step.at), now, this.door.seqTimeout)) return true;
      if (step.kind === 'reset') this.lists.delete(this.name(step.at));
      if (step.kind === 'start' && this.matches(step.knock, p)) {
        this.into(step.to, now);
        return true;
      }
    }
    return false;
  }

  knock(p: Packet, now: number): void {
    if (p.proto === 'tcp' && this.door.services.includes(p.port)) return; // answered by the service rules
    if (!this.door.protocols.includes(p.proto)) return;
    if (this.door.close && this.fresh('opened', now)) this.run('close', this.door.close, p, now);
    this.run('open', this.door.open, p, now);
  }

  open(now: number): boolean {
    return this.fresh('opened', now, this.door.openFor);
  }
}

interface Rule {
  title: string;
  attrs: Map<string, string>;
}

/** The manifest's rules of one provider, by chain, each chain in the module's order: by title, as strings. */
function chainsOf(text: string, provider: string): Map<string, Rule[]> {
  const chains = new Map<string, Rule[]>();
  const re = /^ {2}firewall \{ '([^']*)':\n((?: {4}.*\n)*?) {2}\}$/gm;
  for (const m of text.matchAll(re)) {
    const attrs = new Map<string, string>();
    for (const line of m[2]!.split('\n').filter(Boolean)) {
      const a = /^ {4}(\w+) +=> (.*),$/.exec(line)!;
      attrs.set(a[1]!, a[2]!.replace(/^'(.*)'$/, '$1'));
    }
    if (attrs.get('provider') !== provider) continue;
    const chain = attrs.get('chain')!;
    chains.set(chain, [...(chains.get(chain) ?? []), { title: m[1]!, attrs }]);
  }
  for (const rules of chains.values()) rules.sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
  return chains;
}

/** iptables as far as the manifest uses it; `probe` is a new SYN to the service port. */
class Firewall {
  readonly lists: Lists = new Map();
  constructor(
    private readonly chains: Map<string, Rule[]>,
    private readonly family: Family,
  ) {}

  private match(rule: Rule, p: Packet & { syn: boolean }, now: number): boolean {
    const a = rule.attrs;
    const proto = a.get('proto');
    const icmpProto = this.family === 6 ? 'ipv6-icmp' : 'icmp';
    if (proto !== 'all' && proto !== (p.proto === 'icmp' ? icmpProto : p.proto)) return false;
    const dport = a.get('dport');
    if (dport !== undefined && !(JSON.parse(dport.replace(/'/g, '"')) as string[]).includes(String(p.port))) return false;
    if (a.has('tcp_flags') && !p.syn) return false;
    const ctstate = a.get('ctstate');
    // Every packet here is a new flow (a knock or the probe).
    if (ctstate !== undefined && !ctstate.includes('NEW')) return false;
    if (a.has('icmp') && a.get('icmp') !== (this.family === 6 ? '128' : '8')) return false;
    if (a.has('length') && Number(a.get('length')) !== icmpLength(p.size, this.family)) return false;
    const recent = a.get('recent');
    if (recent !== undefined) {
      const name = a.get('rname')!;
      const t = this.lists.get(name);
      if (recent === 'set') this.lists.set(name, now);
      else if (recent === 'remove') {
        if (t === undefined) return false;
        this.lists.delete(name);
      } else if (recent === 'rcheck') {
        const seconds = a.get('rseconds');
        if (t === undefined || (seconds !== undefined && now - t > Number(seconds) * 1000)) return false;
      } else throw new Error(`recent ${recent}`);
    }
    return true;
  }

  /** The verdict: accept, reject, or on to the admin's rules. */
  packet(p: Packet & { syn: boolean }, now: number): 'accept' | 'reject' | 'on' {
    let depth = 0;
    const run = (chain: string): 'accept' | 'reject' | 'return' => {
      if (++depth > 50) throw new Error('a loop');
      for (const rule of this.chains.get(chain) ?? []) {
        if (!this.match(rule, p, now)) continue;
        const action = rule.attrs.get('action');
        if (action === 'accept' || action === 'reject') return action;
        const jump = rule.attrs.get('jump');
        if (jump === 'RETURN') return 'return';
        if (jump !== undefined) {
          const verdict = run(jump);
          if (verdict !== 'return') return verdict;
        }
        if (rule.attrs.has('goto')) throw new Error('goto');
      }
      return 'return';
    };
    const verdict = run('INPUT');
    return verdict === 'return' ? 'on' : verdict;
  }
}

/** A fixed-seed generator, so a failure is the same failure every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PROFILES: [string, Record<string, unknown>][] = [
  ['door', { port: 2222, open: [7000, '7002:udp', 7004], close: [7003, 7001], seq_timeout: 2 }],
  ['ping', { port: 2223, open: [7100, 'icmp:64', 7102], close: [7101], seq_timeout: 1, open_for: 3 }],
  ['same', { port: 22, open: [7000, 7000, 7001, 7000], close: [7000, 7001], seq_timeout: 2 }],
  ['one', { port: 22, open: [7000], seq_timeout: 2 }],
  ['renew', { port: 22, open: [7300, 7302], close: [7302, 7300], seq_timeout: 1, open_for: 2 }],
];

describe('the Puppet rules do what stages.ts says (a model of iptables, random traces, fixed seed)', () => {
  test.each(PROFILES)('%s: open after the same packets as the reference, both families', (name, raw) => {
    const door = doorOf(parseProfile(name, raw, 'test'));
    const text = puppetRules(door, { families: [4, 6] }, 'v');
    const ports = [...new Set([...door.open, ...(door.close ?? [])].flatMap((k) => (k.protocol === 'icmp' ? [] : [k.port])))];
    const candidates: Packet[] = [
      ...ports.flatMap((port) => [
        { proto: 'tcp' as const, port, size: 0 },
        { proto: 'udp' as const, port, size: 0 },
      ]),
      { proto: 'tcp', port: 80, size: 0 },
      { proto: 'udp', port: 53, size: 0 },
      { proto: 'icmp', port: 0, size: 64 },
      { proto: 'icmp', port: 0, size: 65 },
    ];
    const sequences = [door.open, ...(door.close ? [door.close] : [])];
    for (const family of [4, 6] as const) {
      const random = rng(family * 7919 + name.length);
      let opened = 0;
      for (let trace = 0; trace < 150; trace++) {
        const reference = new Reference(door);
        const firewall = new Firewall(chainsOf(text, family === 6 ? 'ip6tables' : 'iptables'), family);
        let now = 0;
        const asPacket = (k: Knock): Packet => (k.protocol === 'icmp' ? { proto: 'icmp', port: 0, size: k.size } : { proto: k.protocol, port: k.port, size: 0 });
        for (let i = 0; i < 12; i++) {
          // A whole sequence in order, one of its knocks, or noise; quick or slow.
          const r = random();
          const seq = sequences[Math.floor(random() * sequences.length)]!;
          const packets = r < 0.4 ? seq.map(asPacket) : r < 0.7 ? [asPacket(seq[Math.floor(random() * seq.length)]!)] : [candidates[Math.floor(random() * candidates.length)]!];
          for (const [j, p] of packets.entries()) {
            now += Math.floor(random() < 0.85 ? random() * 600 : random() * door.seqTimeout * 2000);
            reference.knock(p, now);
            expect(firewall.packet({ ...p, syn: p.proto === 'tcp' }, now)).toBe('on'); // knocks go on to the admin's rules
            const probe = firewall.packet({ proto: 'tcp', port: door.services[0]!, size: 0, syn: true }, now);
            expect({ trace, i, j, open: probe === 'accept' }).toEqual({ trace, i, j, open: reference.open(now) });
            if (probe === 'accept') opened++;
          }
        }
      }
      // The traces do open doors (a test that never opens would prove nothing).
      expect(opened).toBeGreaterThan(20);
    }
  });
});

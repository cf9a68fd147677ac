// From a knockd server config to client profiles: one profile per [section], and one for
// each obvious [openX]/[closeX] pair, with the close sequence from the close section.
import { isPort, storedKnock, type Knock } from '../knock/tokens.js';
import type { KnockdConf, KnockdSection } from './conf.js';
import type { StoredProfile } from '../store/write.js';
import { formatServicePort, parseServicePort, storedServicePort } from '../store/profiles.js';

export interface ImportedProfile {
  name: string;
  profile: StoredProfile;
  /** The sections it came from. */
  sections: string[];
  /** Where `port` came from: the section's command (`--dport 443`), or -p. */
  portFrom?: 'command' | 'option';
  /** knockd runs stop_command this many seconds after the door opened: it closes by itself. */
  closesAfterS?: number;
}

export interface KnockdImport {
  profiles: ImportedProfile[];
  /** One-time profiles: the server's file, and where the profile expects the user's copy of it. */
  copies: { profile: string; from: string; to: string }[];
  /** What the user should know: skipped sections, knocks that cannot match. */
  warnings: string[];
}

const OPEN = /^(?:open|start|enable)[-_ .]?(.+)$/i;
const CLOSE = /^(?:close|stop|disable)[-_ .]?(.+)$/i;

/** A section name as a profile name: characters a profile name cannot have become '-'. */
export function profileNameOf(section: string): string {
  const name = section.replace(/[^A-Za-z0-9_.@+-]+/g, '-').replace(/^[^A-Za-z0-9_]+/, '');
  return name === '' ? 'knockd' : name;
}

/** What a section's command opens, as far as its text says. */
export interface CommandService {
  port?: number;
  /** The port's protocol where the command names UDP only (`-p udp`, `udp dport`, `proto udp`, `1194/udp`); absent: TCP. */
  protocol?: 'udp';
  /** The command opens the port for TCP and UDP alike (ufw without `proto`, nft `th dport`, or both named). */
  bothProtocols?: true;
  /** Several different ports, or a range. */
  ambiguous?: string;
}

/**
 * The one port a firewall command opens, where it names one: iptables `--dport N` /
 * `--destination-port N` / `--dports N`, nftables `dport N`, ufw `port N` or `N/udp`, knockd's
 * knock_add `-d N`, firewalld's `port=N`; and its protocol: iptables `-p udp`, nftables `udp
 * dport`, ufw `proto udp` or `N/udp`, firewalld `protocol=udp`. Several different ports, or a
 * range: no port, with `ambiguous` set.
 */
export function portOfCommand(command: string | undefined): CommandService {
  if (!command) return {};
  const found = new Set<string>();
  const patterns = [
    /(?:--dports?|--destination-ports?|\bdport|\bport)[ =]+"?([\d,:-]+)/g,
    /\bknock_add\b.*?\s-d\s+(\d+)/g,
    /(?:^|[\s'"])(\d+)\/(?:tcp|udp)\b/g,
  ];
  for (const re of patterns) for (const m of command.matchAll(re)) for (const v of m[1]!.split(',')) found.add(v);
  if (found.size === 0) return {};
  const [only] = [...found];
  if (found.size > 1 || !/^\d+$/.test(only!)) return { ambiguous: [...found].join(',') };
  const port = Number(only);
  if (!isPort(port)) return { ambiguous: only! };
  const protocols = protocolsOfCommand(command);
  if (protocols.size === 2) return { port, bothProtocols: true };
  return protocols.has('udp') ? { port, protocol: 'udp' } : { port };
}

/** The transport protocols a command names; none named: TCP, except where the tool's default is both. */
function protocolsOfCommand(command: string): Set<'tcp' | 'udp'> {
  const named = new Set<'tcp' | 'udp'>();
  const patterns = [
    /(?:^|\s)(?:-p|--protocol)[ =]+(tcp|udp)\b/gi, // iptables, knock_add
    /\b(tcp|udp)\s+dport\b/gi, // nftables
    /\bproto\s+(tcp|udp)\b/gi, // ufw
    /\d\/(tcp|udp)\b/gi, // ufw's PORT/PROTO
    /\bprotocol=["']?(tcp|udp)\b/gi, // firewalld rich rules
  ];
  for (const re of patterns) for (const m of command.matchAll(re)) named.add(m[1]!.toLowerCase() as 'tcp' | 'udp');
  // nftables' `th dport` matches any transport header; ufw without `proto` or `/PROTO` opens both.
  const both = /\bth\s+dport\b/.test(command) || (/\bufw\b/.test(command) && named.size === 0);
  return both ? new Set(['tcp', 'udp']) : named;
}

/**
 * `oneTimeDir`: where the profiles of one_time_sequences sections expect the user's copy of the
 * server's file (as written in the profile: relative paths start at the store's directory).
 */
export function importKnockd(conf: KnockdConf, host: string, port?: number | string, oneTimeDir = 'one-time'): KnockdImport {
  const warnings: string[] = [];
  const usable = conf.sections;
  for (const s of usable) {
    const flags = (s.tcpflags ?? '').split(',').map((f) => f.trim().toLowerCase()).filter((f) => f && !f.startsWith('!'));
    // knockd applies tcpflags to TCP knocks only: an all-UDP section is not affected.
    const tcp = s.sequence.some((k) => k.protocol === 'tcp');
    if (tcp && flags.length > 0 && !(flags.length === 1 && flags[0] === 'syn')) {
      warnings.push(`${conf.file}:${s.line}: [${s.name}] wants tcpflags=${s.tcpflags}; knock sends a bare SYN, so its TCP knocks will not match`);
    }
  }
  const closeFor = new Map<string, KnockdSection>();
  for (const s of usable) {
    // A close sequence is one fixed sequence: a one-time section stays a profile of its own.
    if (s.oneTimeSequences !== undefined) continue;
    const m = CLOSE.exec(s.name);
    if (m) closeFor.set(m[1]!.toLowerCase(), s);
  }
  const paired = new Set<KnockdSection>();
  const profiles: ImportedProfile[] = [];
  for (const s of usable) {
    if (paired.has(s)) continue;
    const m = OPEN.exec(s.name);
    const close = m ? closeFor.get(m[1]!.toLowerCase()) : undefined;
    const pair = m && close && !paired.has(close) ? close : undefined;
    if (pair) paired.add(s).add(pair);
    const servicePort = portFor(s, port, conf.file, warnings);
    const name = profileNameOf(pair ? m![1]! : s.name);
    const imported: ImportedProfile = {
      name,
      profile: stored(host, servicePort.port === undefined ? undefined : storedServicePort(servicePort.port, servicePort.protocol), s.sequence, pair ? minDefined(s.seqTimeout, pair.seqTimeout) : s.seqTimeout, pair?.sequence, oneTimeOf(s, name)),
      sections: pair ? [s.name, pair.name] : [s.name],
      ...(servicePort.from ? { portFrom: servicePort.from } : {}),
    };
    // knockd's stop_command runs cmd_timeout (default 10) s after command: the door shuts itself.
    if (s.stopCommand !== undefined && s.stopCommand !== '') imported.closesAfterS = s.cmdTimeout ?? 10;
    profiles.push(imported);
  }
  // A close section met before its open one was already emitted on its own; drop that copy.
  const kept = profiles.filter((p) => p.sections.length === 2 || !paired.has(usable.find((s) => s.name === p.sections[0])!));
  const result = distinctNames(kept, conf.file, warnings);
  const copies = result.flatMap((p) => {
    const section = usable.find((s) => s.name === p.sections[0])!;
    return section.oneTimeSequences !== undefined && p.profile.one_time_sequences ? [{ profile: p.name, from: section.oneTimeSequences, to: p.profile.one_time_sequences }] : [];
  });
  return { profiles: result, copies, warnings };

  function oneTimeOf(section: KnockdSection, name: string): string | undefined {
    return section.oneTimeSequences === undefined ? undefined : `${oneTimeDir.replace(/\/+$/, '')}/${name}`;
  }
}

/** The service port of a section: the one its command opens, else -p. */
/** The service port of a section: the one its command opens, else -p (22, or "1194/udp", as the store writes it). */
function portFor(s: KnockdSection, option: number | string | undefined, file: string, warnings: string[]): { port?: number; protocol?: 'udp'; from?: 'command' | 'option' } {
  const fromCommand = portOfCommand(s.command);
  if (fromCommand.port !== undefined) {
    const port = formatServicePort(fromCommand.port, fromCommand.protocol);
    if (option !== undefined && String(option) !== port) {
      warnings.push(`${file}:${s.line}: [${s.name}] opens port ${port} (its command says so): port ${port} used, not -p ${option}`);
    }
    if (fromCommand.bothProtocols) {
      warnings.push(`${file}:${s.line}: [${s.name}] opens port ${port} for TCP and UDP alike: stored as TCP ${port}; for a UDP service, knock add --force NAME ... -p ${port}/udp`);
    }
    return { port: fromCommand.port, ...(fromCommand.protocol ? { protocol: fromCommand.protocol } : {}), from: 'command' };
  }
  if (fromCommand.ambiguous !== undefined) {
    warnings.push(`${file}:${s.line}: [${s.name}] opens ports ${fromCommand.ambiguous}: no service port set${option !== undefined ? ` (not -p ${option})` : ''}; add one with knock add --force`);
    return {};
  }
  const given = option === undefined ? 'bad' : parseServicePort(option);
  if (given === 'bad') return {};
  return { port: given.port, ...(given.protocol === 'udp' ? { protocol: 'udp' as const } : {}), from: 'option' };
}

/**
 * Two sections that become one profile name (knockd keeps both doors): an identical copy is
 * imported once, a different one under NAME-2, NAME-3..., each said in a warning.
 */
function distinctNames(profiles: ImportedProfile[], file: string, warnings: string[]): ImportedProfile[] {
  const byName = new Map<string, ImportedProfile>();
  const result: ImportedProfile[] = [];
  for (const p of profiles) {
    const first = byName.get(p.name);
    if (!first) {
      byName.set(p.name, p);
      result.push(p);
      continue;
    }
    if (JSON.stringify(first.profile) === JSON.stringify(p.profile)) {
      warnings.push(`${file}: [${p.sections.join('] + [')}] is the same door as [${first.sections.join('] + [')}] (profile '${p.name}'): imported once`);
      continue;
    }
    let n = 2;
    while (byName.has(`${p.name}-${n}`)) n++;
    const renamed = { ...p, name: `${p.name}-${n}` };
    warnings.push(`${file}: [${p.sections.join('] + [')}] would also be profile '${p.name}' (from [${first.sections.join('] + [')}]): imported as '${renamed.name}'`);
    byName.set(renamed.name, renamed);
    result.push(renamed);
  }
  return result;
}

function stored(host: string, port: number | string | undefined, open: Knock[], seqTimeout?: number, close?: Knock[], oneTime?: string): StoredProfile {
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    ...(oneTime !== undefined ? { one_time_sequences: oneTime } : { open: open.map(storedKnock) }),
    ...(close ? { close: close.map(storedKnock) } : {}),
    ...(seqTimeout !== undefined ? { seq_timeout: seqTimeout } : {}),
  };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

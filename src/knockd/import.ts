// From a knockd server config to client profiles: one profile per [section], and one for
// each obvious [openX]/[closeX] pair, with the close sequence from the close section.
import { formatKnock, type Knock } from '../knock/tokens.js';
import type { KnockdConf, KnockdSection } from './conf.js';
import type { StoredProfile } from '../store/write.js';

export interface ImportedProfile {
  name: string;
  profile: StoredProfile;
  /** The sections it came from. */
  sections: string[];
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

/**
 * `oneTimeDir`: where the profiles of one_time_sequences sections expect the user's copy of the
 * server's file (as written in the profile: relative paths start at the store's directory).
 */
export function importKnockd(conf: KnockdConf, host: string, port?: number, oneTimeDir = 'one-time'): KnockdImport {
  const warnings: string[] = [];
  const usable = conf.sections;
  for (const s of usable) {
    const flags = (s.tcpflags ?? '').split(',').map((f) => f.trim().toLowerCase()).filter((f) => f && !f.startsWith('!'));
    if (flags.length > 0 && !(flags.length === 1 && flags[0] === 'syn')) {
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
    if (m && close && !paired.has(close)) {
      paired.add(s).add(close);
      const seqTimeout = minDefined(s.seqTimeout, close.seqTimeout);
      const name = profileNameOf(m[1]!);
      profiles.push({
        name,
        profile: stored(host, port, s.sequence, seqTimeout, close.sequence, oneTimeOf(s, name)),
        sections: [s.name, close.name],
      });
      continue;
    }
    const name = profileNameOf(s.name);
    profiles.push({ name, profile: stored(host, port, s.sequence, s.seqTimeout, undefined, oneTimeOf(s, name)), sections: [s.name] });
  }
  // A close section met before its open one was already emitted on its own; drop that copy.
  const result = profiles.filter((p) => p.sections.length === 2 || !paired.has(usable.find((s) => s.name === p.sections[0])!));
  const copies = result.flatMap((p) => {
    const section = usable.find((s) => s.name === p.sections[0])!;
    return section.oneTimeSequences !== undefined && p.profile.one_time_sequences ? [{ profile: p.name, from: section.oneTimeSequences, to: p.profile.one_time_sequences }] : [];
  });
  return { profiles: result, copies, warnings };

  function oneTimeOf(section: KnockdSection, name: string): string | undefined {
    return section.oneTimeSequences === undefined ? undefined : `${oneTimeDir.replace(/\/+$/, '')}/${name}`;
  }
}

function stored(host: string, port: number | undefined, open: Knock[], seqTimeout?: number, close?: Knock[], oneTime?: string): StoredProfile {
  const token = (k: Knock) => (k.protocol === 'tcp' ? k.port : formatKnock(k));
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    ...(oneTime !== undefined ? { one_time_sequences: oneTime } : { open: open.map(token) }),
    ...(close ? { close: close.map(token) } : {}),
    ...(seqTimeout !== undefined ? { seq_timeout: seqTimeout } : {}),
  };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

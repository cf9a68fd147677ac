// The profile store's shape, validated in full when it is loaded.
import path from 'node:path';
import { ConfigError, KnockError } from '../shared/errors.js';
import { printable, shownValue } from '../shared/printable.js';
import { checkDelay, checkSeqTimeout, checkSequence, checkTtl, isPort, MAX_KNOCKS, parseKnockEntry, type Knock } from '../knock/tokens.js';
import { parseGroups } from './groups.js';
import { nearest } from '../shared/suggest.js';
import { parseSpaSettings, type SpaSettings } from '../spa/profile.js';

export interface Profile {
  name: string;
  /** Where to knock; absent: the profile name through ~/.ssh/config HostName, then DNS. */
  host?: string;
  /** The service port behind the door (ssh's port for `proxy`, the default for `--wait`). */
  port?: number;
  /** The service's protocol, `port: 1194/udp` in the store; absent: TCP. */
  portProtocol?: 'udp';
  /** Empty when the open sequences come from `oneTimeSequences`, or the profile is an SPA one (`spa`). */
  open: Knock[];
  close?: Knock[];
  /** knockd's one_time_sequences file (absolute): each open takes its first unused line. */
  oneTimeSequences?: string;
  /** ms from the start of one knock to the start of the next. */
  delay: number;
  /** s, the server's window for a whole sequence. */
  seqTimeout: number;
  /** s after the open during which the door takes new connections (`knock rules`); absent: until closed. */
  openFor?: number;
  /** IP TTL / IPv6 hop limit of every knock. */
  ttl?: number;
  /** A local address or interface name the knocks (and the proxy's connection) leave from. */
  source?: string;
  /** Which of the host's addresses to knock: 4, 6, or both (each sequence whole). */
  family?: ProfileFamily;
  /** Free text for the reader (`knock show`, `knock list`); knock does nothing with it. */
  description?: string;
  /** `spa:` in place of `open`: one fwknop SPA packet (src/spa/profile.ts; holds the keys). */
  spa?: SpaSettings;
}

export type ProfileFamily = 4 | 6 | 'both';

export interface ProfileStore {
  /** The file the profiles came from, or undefined when none was found. */
  file?: string;
  profiles: Map<string, Profile>;
  /** `groups:` name -> member profile names, in order. */
  groups?: Map<string, string[]>;
  /** Profiles that do not validate, with all their errors; the others stay usable. */
  broken?: Map<string, string[]>;
}

/** knock(1) knocks back to back; a profile gets a small gap so packets cannot overtake. */
export const DEFAULT_PROFILE_DELAY = 100;
/** knockd's default seq_timeout. */
export const DEFAULT_SEQ_TIMEOUT = 25;

/** A line or two for the reader, not a document. */
export const MAX_DESCRIPTION = 200;

const PROFILE_KEYS = ['host', 'port', 'open', 'close', 'delay', 'seq_timeout', 'open_for', 'ttl', 'source', 'family', 'description', 'one_time_sequences', 'spa'];
const TOP_KEYS = ['profiles', 'groups'];

/** A store's shape without its profiles checked one by one: the raw profiles by name, and the groups. */
export interface StoreShape {
  /** Profile name -> its raw value, as the file holds it. */
  entries: Record<string, unknown>;
  groups?: Map<string, string[]>;
}

/**
 * The whole-store checks (a mapping, only the top-level keys knock knows, `profiles` a mapping,
 * groups naming profiles of the store), each profile left unchecked: what an edit needs of the
 * profiles it does not touch, in one cheap pass. A ConfigError for what is not a store.
 */
export function storeShape(raw: unknown, file: string | undefined): StoreShape {
  const where = printable(file ?? 'the profile store');
  if (raw === null || raw === undefined) return { entries: {} };
  // Until it is known to be a knock store, nothing of the file is repeated: it may be any file.
  if (typeof raw !== 'object' || Array.isArray(raw) || !TOP_KEYS.some((k) => k in raw)) {
    throw new ConfigError(`${where} is not a knock profile store (expected a mapping with a 'profiles' key)`);
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key)) {
      throw new ConfigError(`${where}: unknown top-level key '${printable(key, 40)}' (expected ${TOP_KEYS.map((k) => `'${k}'`).join(' or ')})`);
    }
  }
  const entries = (raw as { profiles?: unknown }).profiles ?? {};
  if (typeof entries !== 'object' || Array.isArray(entries)) {
    throw new ConfigError(`${where}: 'profiles' must be a mapping of profile names to profiles`);
  }
  // A group may name a broken profile: knocking the group then reports it, as knocking it would.
  const groups = parseGroups((raw as { groups?: unknown }).groups, { has: (name) => Object.hasOwn(entries, name) }, where);
  return { entries: entries as Record<string, unknown>, ...(groups ? { groups } : {}) };
}

/** Validates the parsed contents of a store file. `file` names it in messages. */
export function parseStore(raw: unknown, file: string | undefined): ProfileStore {
  const where = printable(file ?? 'the profile store');
  const profiles = new Map<string, Profile>();
  const broken = new Map<string, string[]>();
  if (raw === null || raw === undefined) return { file, profiles, broken };
  const { entries, groups } = storeShape(raw, file);
  const baseDir = file ? path.dirname(file) : undefined;
  for (const [name, value] of Object.entries(entries)) {
    const { profile, errors } = checkProfile(name, value, where, baseDir);
    if (profile) profiles.set(name, profile);
    else broken.set(name, errors);
  }
  return { file, profiles, broken, ...(groups ? { groups } : {}) };
}

/** A profile, or a ConfigError naming every problem it has. `baseDir`: where a relative one_time_sequences path starts. */
export function parseProfile(name: string, value: unknown, where: string, baseDir?: string): Profile {
  const { profile, errors } = checkProfile(name, value, where, baseDir);
  if (!profile) throw new ConfigError(brokenProfileMessage(where, name, errors));
  return profile;
}

/** `file: profile 'x': a; b; c`, the one line that names all of a broken profile's errors. */
export function brokenProfileMessage(where: string, name: string, errors: readonly string[]): string {
  return `${printable(where)}: profile '${printable(name, 64)}': ${errors.map((e) => printable(e, 200)).join('; ')}`;
}

/** Every error of a profile, not just the first, so one edit fixes them all. */
export function checkProfile(name: string, value: unknown, where = '', baseDir?: string): { profile?: Profile; errors: string[] } {
  const errors: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof KnockError)) throw error;
      errors.push(error.message);
      return undefined;
    }
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { errors: ["expected a mapping with at least 'open' (or 'spa')"] };
  }
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (PROFILE_KEYS.includes(key)) continue;
    const guess = nearest(key, PROFILE_KEYS);
    errors.push(`unknown key '${printable(key, 40)}'${guess ? ` (did you mean '${guess}'?)` : ` (${PROFILE_KEYS.join(', ')})`}`);
  }
  if (p.host !== undefined && (typeof p.host !== 'string' || p.host.trim() === '')) {
    errors.push('host must be a non-empty string');
  }
  const service = p.port === undefined ? undefined : parseServicePort(p.port);
  if (service === 'bad') errors.push(`port ${shownValue(p.port)} must be a port 1-65535, optionally with /tcp or /udp (1194/udp)`);
  const oneTime = attempt(() => parseOneTimePath(p.one_time_sequences, baseDir ?? (where.startsWith('/') ? path.dirname(where) : '/')));
  if (oneTime !== undefined && p.open !== undefined) {
    errors.push("give either 'open' or 'one_time_sequences' (the file is the open sequences), not both");
  }
  // Exactly one way to open: knocks, a one-time list, or an SPA packet (which has no close).
  const spa = p.spa === undefined ? undefined : parseSpaSettings(p.spa, errors);
  if (p.spa !== undefined) {
    if (p.open !== undefined || oneTime !== undefined) errors.push("give one of 'open', 'one_time_sequences' or 'spa', not more");
    if (p.close !== undefined) errors.push("an 'spa' profile has no 'close' (access expires on the server)");
  }
  const open = oneTime !== undefined || p.spa !== undefined ? [] : attempt(() => parseSequence(p.open, 'open', true, errors));
  const close = attempt(() => parseSequence(p.close, 'close', false, errors));
  const delay = p.delay === undefined ? DEFAULT_PROFILE_DELAY : attempt(() => checkDelay(p.delay));
  const seqTimeout = p.seq_timeout === undefined ? DEFAULT_SEQ_TIMEOUT : attempt(() => checkSeqTimeout(p.seq_timeout));
  const openFor = p.open_for === undefined ? undefined : attempt(() => parseOpenFor(p.open_for));
  const ttl = p.ttl === undefined ? undefined : attempt(() => checkTtl(p.ttl));
  if (p.description !== undefined && (typeof p.description !== 'string' || p.description.length > MAX_DESCRIPTION)) errors.push(`description must be a string of at most ${MAX_DESCRIPTION} characters`);
  if (p.source !== undefined && (typeof p.source !== 'string' || p.source.trim() === '')) errors.push('source must be an address or an interface name');
  const family = p.family === undefined ? undefined : p.family === 4 || p.family === '4' ? 4 : p.family === 6 || p.family === '6' ? 6 : p.family === 'both' ? 'both' : undefined;
  if (p.family !== undefined && family === undefined) errors.push(`family ${shownValue(p.family)} must be 4, 6 or both`);
  if (p.spa !== undefined && (family === 6 || family === 'both')) errors.push('an spa profile is IPv4 only (fwknopd cannot parse IPv6): family must be 4 or absent');
  if (open && delay !== undefined) attempt(() => checkSequence(open, delay, 'open'));
  if (close && delay !== undefined) attempt(() => checkSequence(close, delay, 'close'));
  if (errors.length > 0 || !open || delay === undefined || seqTimeout === undefined) return { errors };
  const profile: Profile = { name, open, delay, seqTimeout };
  if (typeof p.host === 'string') profile.host = p.host.trim();
  if (service !== undefined && service !== 'bad') {
    profile.port = service.port;
    if (service.protocol === 'udp') profile.portProtocol = 'udp';
  }
  if (close) profile.close = close;
  if (oneTime !== undefined) profile.oneTimeSequences = oneTime;
  if (openFor !== undefined) profile.openFor = openFor;
  if (ttl !== undefined) profile.ttl = ttl;
  if (typeof p.source === 'string') profile.source = p.source.trim();
  if (family !== undefined) profile.family = family;
  if (typeof p.description === 'string' && p.description.trim() !== '') profile.description = p.description.trim();
  if (spa) profile.spa = spa;
  return { profile, errors };
}

/** A service port: 22, "22", "22/tcp" or "1194/udp". */
export function parseServicePort(value: unknown): { port: number; protocol: 'tcp' | 'udp' } | 'bad' {
  const m = typeof value === 'number' ? [String(value), String(value), undefined] : typeof value === 'string' ? /^([0-9]{1,5})(?:\/(tcp|udp))?$/.exec(value.trim()) : null;
  if (!m || typeof value === 'number' && !Number.isInteger(value)) return 'bad';
  const port = Number(m[1]);
  if (!isPort(port)) return 'bad';
  return { port, protocol: m[2] === 'udp' ? 'udp' : 'tcp' };
}

/** A service port as the store and messages write it: `22`, `1194/udp`. */
export function formatServicePort(port: number, protocol?: 'tcp' | 'udp'): string {
  return protocol === 'udp' ? `${port}/udp` : String(port);
}

/** A service port as a store holds it: a bare number for TCP, `1194/udp` for UDP. */
export function storedServicePort(port: number, protocol?: 'tcp' | 'udp'): number | string {
  return protocol === 'udp' ? formatServicePort(port, protocol) : port;
}

function parseOneTimePath(value: unknown, baseDir: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError('one_time_sequences must be the path of a file');
  return path.resolve(baseDir, value.trim());
}

// Whole seconds: iptables' `recent --seconds` and knockd's cmd_timeout take nothing finer.
function parseOpenFor(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`open_for ${shownValue(value)} must be a whole number of seconds >= 1`);
  }
  return value;
}

/** A sequence, or undefined with each bad entry's error pushed onto `errors`. */
function parseSequence(value: unknown, what: string, required: boolean, errors: string[]): Knock[] | undefined {
  if (value === undefined || value === null) {
    if (required) throw new ConfigError(`${what}: missing (a list of knocks such as [7000, "8000:udp", 9000])`);
    return undefined;
  }
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (!Array.isArray(list)) throw new ConfigError(`${what}: expected a list of knocks`);
  if (list.length === 0) throw new ConfigError(`${what}: empty sequence`);
  if (list.length > MAX_KNOCKS) throw new ConfigError(`${what}: ${list.length} knocks, at most ${MAX_KNOCKS}`);
  // Every bad entry, not just the first: the profile's message lists them all.
  const before = errors.length;
  const knocks = list.map((entry, i) => {
    try {
      return parseKnockEntry(entry, `${what}[${i}]`);
    } catch (error) {
      if (!(error instanceof KnockError)) throw error;
      errors.push(error.message);
      return undefined;
    }
  });
  return errors.length > before ? undefined : (knocks as Knock[]);
}

// The profile store's shape, validated in full when it is loaded.
import path from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { checkDelay, checkTtl, parseKnockEntry, type Knock } from '../knock/tokens.js';
import { parseGroups } from './groups.js';

export interface Profile {
  name: string;
  /** Where to knock; absent: the profile name through ~/.ssh/config HostName, then DNS. */
  host?: string;
  /** The service port behind the door (ssh's port for `proxy`, the default for `--wait`). */
  port?: number;
  /** Empty when the open sequences come from `oneTimeSequences`. */
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
}

export type ProfileFamily = 4 | 6 | 'both';

export interface ProfileStore {
  /** The file the profiles came from, or undefined when none was found. */
  file?: string;
  profiles: Map<string, Profile>;
  /** `groups:` name -> member profile names, in order. */
  groups?: Map<string, string[]>;
}

/** knock(1) knocks back to back; a profile gets a small gap so packets cannot overtake. */
export const DEFAULT_PROFILE_DELAY = 100;
/** knockd's default seq_timeout. */
export const DEFAULT_SEQ_TIMEOUT = 25;

const PROFILE_KEYS = ['host', 'port', 'open', 'close', 'delay', 'seq_timeout', 'open_for', 'ttl', 'source', 'family', 'description', 'one_time_sequences'];
const TOP_KEYS = ['profiles', 'groups'];

/** Validates the parsed contents of a store file. `file` names it in messages. */
export function parseStore(raw: unknown, file: string | undefined): ProfileStore {
  const where = file ?? 'the profile store';
  const profiles = new Map<string, Profile>();
  if (raw === null || raw === undefined) return { file, profiles };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${where}: expected a mapping with a 'profiles' key`);
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key)) throw new ConfigError(`${where}: unknown top-level key '${key}' (expected ${TOP_KEYS.map((k) => `'${k}'`).join(' or ')})`);
  }
  const entries = (raw as { profiles?: unknown }).profiles;
  if (entries !== null && entries !== undefined) {
    if (typeof entries !== 'object' || Array.isArray(entries)) {
      throw new ConfigError(`${where}: 'profiles' must be a mapping of profile names to profiles`);
    }
    const baseDir = file ? path.dirname(file) : undefined;
    for (const [name, value] of Object.entries(entries)) {
      profiles.set(name, parseProfile(name, value, where, baseDir));
    }
  }
  const groups = parseGroups((raw as { groups?: unknown }).groups, profiles, where);
  return { file, profiles, ...(groups ? { groups } : {}) };
}

/** `baseDir`: where a relative one_time_sequences path starts (the store's directory). */
export function parseProfile(name: string, value: unknown, where: string, baseDir?: string): Profile {
  const what = `${where}: profile '${name}'`;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${what}: expected a mapping with at least 'open'`);
  }
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!PROFILE_KEYS.includes(key)) {
      throw new ConfigError(`${what}: unknown key '${key}' (${PROFILE_KEYS.join(', ')})`);
    }
  }
  if (p.host !== undefined && (typeof p.host !== 'string' || p.host.trim() === '')) {
    throw new ConfigError(`${what}: host must be a non-empty string`);
  }
  if (p.port !== undefined && (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535)) {
    throw new ConfigError(`${what}: port ${JSON.stringify(p.port)} is out of range (1-65535)`);
  }
  const oneTime = parseOneTimePath(p.one_time_sequences, what, baseDir ?? (where.startsWith('/') ? path.dirname(where) : process.cwd()));
  if (oneTime !== undefined && p.open !== undefined) {
    throw new ConfigError(`${what}: give either 'open' or 'one_time_sequences' (the file is the open sequences), not both`);
  }
  const profile: Profile = {
    name,
    open: oneTime === undefined ? parseSequence(p.open, `${what}: open`, true)! : [],
    delay: p.delay === undefined ? DEFAULT_PROFILE_DELAY : wrap(() => checkDelay(p.delay), what),
    seqTimeout: p.seq_timeout === undefined ? DEFAULT_SEQ_TIMEOUT : parseSeqTimeout(p.seq_timeout, what),
  };
  if (typeof p.host === 'string') profile.host = p.host.trim();
  if (typeof p.port === 'number') profile.port = p.port;
  if (p.ttl !== undefined) profile.ttl = wrap(() => checkTtl(p.ttl), what);
  if (p.source !== undefined) {
    if (typeof p.source !== 'string' || p.source.trim() === '') throw new ConfigError(`${what}: source must be an address or an interface name`);
    profile.source = p.source.trim();
  }
  if (p.family !== undefined) {
    const family = p.family === 4 || p.family === '4' ? 4 : p.family === 6 || p.family === '6' ? 6 : p.family === 'both' ? 'both' : undefined;
    if (family === undefined) throw new ConfigError(`${what}: family ${JSON.stringify(p.family)} must be 4, 6 or both`);
    profile.family = family;
  }
  const close = parseSequence(p.close, `${what}: close`, false);
  if (close) profile.close = close;
  if (oneTime !== undefined) profile.oneTimeSequences = oneTime;
  if (p.open_for !== undefined) profile.openFor = parseOpenFor(p.open_for, what);
  return profile;
}

function parseOneTimePath(value: unknown, what: string, baseDir: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${what}: one_time_sequences must be the path of a file`);
  return path.resolve(baseDir, value.trim());
}

function parseSeqTimeout(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${what}: seq_timeout ${JSON.stringify(value)} must be a number of seconds > 0`);
  }
  return value;
}

// Whole seconds: iptables' `recent --seconds` and knockd's cmd_timeout take nothing finer.
function parseOpenFor(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${what}: open_for ${JSON.stringify(value)} must be a whole number of seconds >= 1`);
  }
  return value;
}

function parseSequence(value: unknown, what: string, required: boolean): Knock[] | undefined {
  if (value === undefined || value === null) {
    if (required) throw new ConfigError(`${what}: missing (a list of knocks such as [7000, "8000:udp", 9000])`);
    return undefined;
  }
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (!Array.isArray(list)) throw new ConfigError(`${what}: expected a list of knocks`);
  if (list.length === 0) throw new ConfigError(`${what}: empty sequence`);
  return list.map((entry, i) => parseKnockEntry(entry, `${what}[${i}]`));
}

function wrap<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (error) {
    throw new ConfigError(`${what}: ${(error as Error).message}`);
  }
}

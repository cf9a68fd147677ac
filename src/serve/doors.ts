// What `knock serve` listens for: doors (knockd's word for one sequence and its actions),
// built from a profile's open/close sequences or from the sections of a knockd.conf.
import { ConfigError } from '../shared/errors.js';
import { formatKnock, type Knock } from '../knock/tokens.js';
import type { KnockdConf } from '../knockd/conf.js';
import { DEFAULT_SEQ_TIMEOUT, type Profile } from '../store/profiles.js';
import type { OneTimeLine } from '../store/one-time.js';

export type PortProto = 'tcp' | 'udp';

export interface DoorKnock {
  proto: PortProto;
  port: number;
}

export interface Door {
  name: string;
  /** What completing the sequence means: 'open' lets the source in (--guard), 'close' shuts it out. */
  kind: 'open' | 'close';
  sequence: DoorKnock[];
  /** Seconds, compared as knockd does: whole seconds of the first and the current knock. */
  seqTimeout: number;
  /** knockd's command / start_command, run on completion with %IP% replaced. */
  command?: string;
  /** knockd's stop_command, run cmdTimeout seconds after `command`. */
  stopCommand?: string;
  cmdTimeout?: number;
  /**
   * knockd's one_time_sequences: `sequence` is the file's first unused line, replaced by the
   * next one after each open (empty once the file is used up: the door is disabled).
   * `ports`: every knock of every unused line, listened on from the start.
   */
  oneTime?: { file: string; ports: DoorKnock[] };
}

/** knockd's default cmd_timeout (seconds). */
export const DEFAULT_CMD_TIMEOUT = 10;

export interface DoorPlan {
  doors: Door[];
  warnings: string[];
}

/**
 * A profile's open (and close) sequences as doors. ICMP knocks cannot be received without raw
 * sockets: refused, or dropped with a warning when `skipIcmp` is set.
 */
export function doorsFromProfile(profile: Profile, options: { skipIcmp?: boolean } = {}): DoorPlan {
  if (profile.oneTimeSequences) {
    // The profile's file is the client's copy: serving it would use up the lines the client sends.
    throw new ConfigError(
      `profile '${profile.name}' takes its sequences from ${profile.oneTimeSequences}, the client's copy; serve the server's copy with a knockd.conf (--knockd-conf) instead`,
    );
  }
  const warnings: string[] = [];
  const doors: Door[] = [];
  const sequences: [Door['kind'], Knock[] | undefined][] = [
    ['open', profile.open],
    ['close', profile.close],
  ];
  for (const [kind, knocks] of sequences) {
    if (!knocks) continue;
    const icmp = knocks.filter((k) => k.protocol === 'icmp');
    if (icmp.length > 0) {
      const list = icmp.map(formatKnock).join(', ');
      if (!options.skipIcmp) {
        throw new ConfigError(
          `profile '${profile.name}': the ${kind} sequence has ICMP knocks (${list}), which knock serve cannot receive without raw sockets; ` +
            'it listens on TCP and UDP only (--skip-icmp serves the rest of the sequence, with a warning)',
        );
      }
      warnings.push(`profile '${profile.name}': skipping ICMP knocks in the ${kind} sequence (${list}); the rest must still arrive in order`);
    }
    const sequence = knocks.flatMap((k): DoorKnock[] => (k.protocol === 'icmp' ? [] : [{ proto: k.protocol, port: k.port }]));
    if (sequence.length === 0) throw new ConfigError(`profile '${profile.name}': the ${kind} sequence has only ICMP knocks; nothing to listen for`);
    doors.push({ name: kind, kind, sequence, seqTimeout: profile.seqTimeout ?? DEFAULT_SEQ_TIMEOUT });
  }
  return { doors, warnings };
}

/**
 * Every section of a knockd.conf as a door. A section whose name starts with "close" (knockd's
 * own example: [openSSH] / [closeSSH]) is a closing door for --guard and --on-close; knockd itself
 * treats all sections alike, and so does the knock matching here.
 */
export function doorsFromKnockdConf(conf: KnockdConf, oneTime: ReadonlyMap<string, { file: string; unused: OneTimeLine[] }> = new Map()): DoorPlan {
  const warnings: string[] = [];
  const doors: Door[] = [];
  for (const section of conf.sections) {
    const where = `${conf.file}:${section.line}: [${section.name}]`;
    const lines = section.oneTimeSequences !== undefined ? oneTime.get(section.oneTimeSequences) : undefined;
    if (section.oneTimeSequences !== undefined && !lines) throw new ConfigError(`${where}: one_time_sequences ${section.oneTimeSequences} was not read`);
    if (section.tcpflags !== undefined && section.tcpflags.replace(/\s/g, '').toLowerCase() !== 'syn') {
      warnings.push(`${where}: tcpflags = ${section.tcpflags} is not checked: knock serve counts one knock per TCP connection (as tcpflags = syn)`);
    }
    const door: Door = {
      name: section.name,
      kind: /^close/i.test(section.name) ? 'close' : 'open',
      sequence: section.sequence.flatMap((k): DoorKnock[] => (k.protocol === 'icmp' ? [] : [{ proto: k.protocol, port: k.port }])),
      seqTimeout: section.seqTimeout ?? DEFAULT_SEQ_TIMEOUT,
    };
    if (lines) {
      // knockd reads the file in place of `sequence`, and refuses to start when no line is left.
      const first = lines.unused[0];
      if (!first) throw new ConfigError(`${where}: no unused sequence left in ${lines.file} (knockd refuses to start too)`);
      door.sequence = first.knocks.map(toDoorKnock);
      door.oneTime = { file: lines.file, ports: lines.unused.flatMap((l) => l.knocks.map(toDoorKnock)) };
    }
    if (section.command !== undefined && section.command !== '') door.command = section.command;
    if (section.stopCommand !== undefined && section.stopCommand !== '') {
      door.stopCommand = section.stopCommand;
      door.cmdTimeout = section.cmdTimeout ?? DEFAULT_CMD_TIMEOUT;
    }
    doors.push(door);
  }
  if (doors.length === 0) throw new ConfigError(`${conf.file}: no section with a sequence to serve`);
  return { doors, warnings };
}

export const toDoorKnock = (k: Knock): DoorKnock => ({ proto: k.protocol === 'udp' ? 'udp' : 'tcp', port: k.protocol === 'icmp' ? 0 : k.port });

/** The distinct (protocol, port) pairs to listen on, in first-seen order (a one-time door's every line). */
export function portsOf(doors: Door[]): DoorKnock[] {
  const seen = new Map<string, DoorKnock>();
  for (const door of doors) for (const k of door.oneTime?.ports ?? door.sequence) seen.set(`${k.proto}/${k.port}`, k);
  return [...seen.values()];
}

/** Whether any door's current sequence has this knock: knockd's pcap filter lets nothing else through. */
export function inAnySequence(doors: readonly Door[], proto: PortProto, port: number): boolean {
  return doors.some((d) => d.sequence.some((k) => k.proto === proto && k.port === port));
}

export const formatDoorKnock = (k: DoorKnock): string => `${k.proto}/${k.port}`;

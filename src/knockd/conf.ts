// knockd.conf, as knockd reads it: [options] and one [section] per sequence, with
// sequence, seq_timeout, command or start_command/stop_command/cmd_timeout, tcpflags.
import { ConfigError } from '../shared/errors.js';
import type { Knock } from '../knock/tokens.js';
import { KNOCKD_MAX_LINE, knockdTrim, parseKnockdSequence } from '../knock/knockd-syntax.js';

export interface KnockdSection {
  name: string;
  /** 1-based line of the [name] header. */
  line: number;
  sequence: Knock[];
  /** Seconds; knockd's default is 25. */
  seqTimeout?: number;
  /** `command`, or knockd's alias `start_command`. */
  command?: string;
  stopCommand?: string;
  cmdTimeout?: number;
  tcpflags?: string;
  oneTimeSequences?: string;
  /** Every key as written (lower-cased), for what this parser does not interpret. */
  raw: Record<string, string>;
}

export interface KnockdConf {
  file: string;
  options: Record<string, string>;
  sections: KnockdSection[];
}

interface PendingSection {
  name: string;
  line: number;
  raw: Record<string, string>;
  /** The line of each key, for messages about its value. */
  lines: Record<string, number>;
}

export function parseKnockdConf(text: string, file: string): KnockdConf {
  const options: Record<string, string> = {};
  const sections: KnockdSection[] = [];
  let current: PendingSection | undefined;
  const pending: PendingSection[] = [];
  let inOptions = false;

  text.split(/\r?\n/).forEach((rawLine, i) => {
    const lineNo = i + 1;
    // knockd's trim(): C whitespace only, so a non-breaking space stays part of what it reads.
    const line = knockdTrim(rawLine);
    // A comment too: its rest would be a line without the '#'.
    if (line !== '' && Buffer.byteLength(rawLine) > KNOCKD_MAX_LINE) {
      throw new ConfigError(`${file}:${lineNo}: line longer than knockd reads (${KNOCKD_MAX_LINE} bytes): knockd would read the rest as a line of its own`);
    }
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      inOptions = name.toLowerCase() === 'options';
      current = inOptions ? undefined : { name, line: lineNo, raw: {}, lines: {} };
      if (current) pending.push(current);
      return;
    }
    const eq = line.indexOf('=');
    const key = knockdTrim(eq < 0 ? line : line.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : knockdTrim(line.slice(eq + 1));
    if (inOptions) options[key] = value;
    else if (current) {
      current.raw[key] = value;
      current.lines[key] = lineNo;
    }
    // Before any [section] the file may be anything (import /etc/shadow): none of it is quoted.
    else throw new ConfigError(`${file}:${lineNo}: a line outside any [section] (is this a knockd config?)`);
  });

  for (const section of pending) {
    const where = `${file}:${section.line}: [${section.name}]`;
    const sequenceText = section.raw.sequence;
    // With one_time_sequences the file gives the sequence (knockd reads it in place of one).
    const oneTime = section.raw.one_time_sequences;
    if (sequenceText === undefined && oneTime === undefined) throw new ConfigError(`${where}: no sequence`);
    const sequence = oneTime === undefined && sequenceText !== undefined ? parseKnockdSequence(sequenceText, `${file}:${section.lines.sequence}: [${section.name}] sequence`) : [];
    const result: KnockdSection = { name: section.name, line: section.line, sequence, raw: section.raw };
    const num = (key: string): number | undefined => {
      const v = section.raw[key];
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new ConfigError(`${where}: ${key} '${v}' is not a whole number of seconds`);
      return Number(v);
    };
    const seqTimeout = num('seq_timeout');
    if (seqTimeout !== undefined) result.seqTimeout = seqTimeout;
    const cmdTimeout = num('cmd_timeout');
    if (cmdTimeout !== undefined) result.cmdTimeout = cmdTimeout;
    const command = section.raw.command ?? section.raw.start_command;
    if (command !== undefined) result.command = command;
    if (section.raw.stop_command !== undefined) result.stopCommand = section.raw.stop_command;
    if (section.raw.tcpflags !== undefined) result.tcpflags = section.raw.tcpflags;
    if (section.raw.one_time_sequences !== undefined) result.oneTimeSequences = section.raw.one_time_sequences;
    sections.push(result);
  }
  return { file, options, sections };
}

// knockd.conf, as knockd reads it: [options] and one [section] per sequence, with
// sequence, seq_timeout, command or start_command/stop_command/cmd_timeout, tcpflags.
import { ConfigError } from '../shared/errors.js';
import { checkPort, type Knock } from '../knock/tokens.js';

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

export function parseKnockdConf(text: string, file: string): KnockdConf {
  const options: Record<string, string> = {};
  const sections: KnockdSection[] = [];
  let current: { name: string; line: number; raw: Record<string, string> } | undefined;
  const pending: { name: string; line: number; raw: Record<string, string> }[] = [];
  let inOptions = false;

  text.split(/\r?\n/).forEach((rawLine, i) => {
    const lineNo = i + 1;
    const line = rawLine.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      inOptions = name.toLowerCase() === 'options';
      current = inOptions ? undefined : { name, line: lineNo, raw: {} };
      if (current) pending.push(current);
      return;
    }
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (inOptions) options[key] = value;
    else if (current) current.raw[key] = value;
    // Before any [section] the file may be anything (import /etc/shadow): none of it is quoted.
    else throw new ConfigError(`${file}:${lineNo}: a line outside any [section] (is this a knockd config?)`);
  });

  for (const section of pending) {
    const where = `${file}:${section.line}: [${section.name}]`;
    const sequenceText = section.raw.sequence;
    // With one_time_sequences the file gives the sequence (knockd reads it in place of one).
    const oneTime = section.raw.one_time_sequences;
    if (sequenceText === undefined && oneTime === undefined) throw new ConfigError(`${where}: no sequence`);
    const sequence = oneTime === undefined && sequenceText !== undefined ? parseKnockdSequence(sequenceText, where) : [];
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

/** knockd's sequence syntax: comma-separated PORT[:tcp|udp]; knockd has no ICMP knocks. */
export function parseKnockdSequence(text: string, where: string): Knock[] {
  const tokens = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (tokens.length === 0) throw new ConfigError(`${where}: empty sequence`);
  return tokens.map((token) => {
    const m = /^(\d+)(?::(tcp|udp))?$/i.exec(token);
    if (!m) throw new ConfigError(`${where}: '${token}' is not a knockd knock (PORT, PORT:tcp or PORT:udp)`);
    try {
      return { protocol: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp', port: checkPort(Number(m[1]), `'${token}'`) };
    } catch (error) {
      throw new ConfigError(`${where}: ${(error as Error).message}`);
    }
  });
}

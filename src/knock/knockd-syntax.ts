// knockd 0.8's sequence syntax (`PORT[:tcp|udp],...`) as its parse_port_sequence() reads it:
// strsep on ',' then ':', atoi() for the port, trim() with C's isspace() in the C locale. Used for
// knockd.conf's `sequence` and for every line of a one_time_sequences file, so both agree.
import { ConfigError } from '../shared/errors.js';
import { isPort, type Knock } from './tokens.js';

/** knockd's SEQ_MAX: it refuses a longer `sequence` and skips a longer one-time line. */
export const KNOCKD_MAX_KNOCKS = 32;

/**
 * knockd reads its files with fgets(line, PATH_MAX): a longer line is read as two, the rest as a
 * line of its own. Lines are kept to this many bytes (before the newline), so none is split.
 */
export const KNOCKD_MAX_LINE = 4094;

/** isspace() in the C locale knockd runs in: not 0xA0 (a non-breaking space), nor any other. */
const EDGES = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
/** The tokens knockd and a reader of the line agree on: atoi() reads the digits, the protocol is trimmed. */
const TOKEN = /^[ \t\n\v\f\r]*([0-9]{1,5})[ \t\n\v\f\r]*(?::[ \t\n\v\f\r]*(tcp|udp)[ \t\n\v\f\r]*)?$/i;

/** knockd's trim(): C whitespace off both ends, nothing else. */
export function knockdTrim(text: string): string {
  return text.replace(EDGES, '');
}

/**
 * A sequence as knockd reads it, or a ConfigError naming `where` for one it would read its own
 * way (an empty token or `7000x` or a leading 0xA0 is a knock on port 0 or on 7000 to atoi(),
 * more than 32 knocks is refused or skipped): guessing would put client and server out of step.
 */
export function parseKnockdSequence(text: string, where: string): Knock[] {
  const tokens = text.split(',');
  if (tokens.length > KNOCKD_MAX_KNOCKS) {
    throw new ConfigError(`${where}: ${tokens.length} knocks; knockd 0.8 takes at most ${KNOCKD_MAX_KNOCKS} in a sequence`);
  }
  return tokens.map((token, i) => {
    const m = TOKEN.exec(token);
    const port = m ? Number(m[1]) : NaN;
    if (!m || !isPort(port)) {
      throw new ConfigError(`${where}: knock ${i + 1} '${shownToken(token)}' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads ${knockdReading(token)}): fix it on both sides`);
    }
    return { protocol: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp', port };
  });
}

/**
 * What knockd makes of a token: atoi() skips C whitespace, takes a sign and digits and ignores
 * the rest; the protocol (after the first ':', up to a second) is trimmed and upper-cased.
 */
function knockdReading(token: string): string {
  const [portPart, protocolPart] = token.split(':') as [string, string | undefined];
  const m = /^[+-]?[0-9]*/.exec(portPart.replace(/^[ \t\n\v\f\r]+/, ''))![0];
  const digits = m.replace(/^[+-]/, '');
  if (digits.length > 9) return 'a number atoi() cannot hold';
  const n = digits === '' ? 0 : Number(m);
  if (n > 65535) return `port ${n}, and refuses the sequence`;
  const protocol = protocolPart === undefined ? 'tcp' : knockdTrim(protocolPart).toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') return 'an unknown protocol, and refuses the sequence';
  // A negative port wraps as knockd stores it, in an unsigned short.
  return `${((n % 65536) + 65536) % 65536}:${protocol}`;
}

/** A token as a message shows it: anything outside printable ASCII escaped, so 0xA0 is seen. */
function shownToken(token: string): string {
  const escaped = token.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return escaped.length > 40 ? `${escaped.slice(0, 40)}...` : escaped;
}

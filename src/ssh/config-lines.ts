// One ssh_config line as OpenSSH splits it (readconf.c): keyword, arguments, and the raw rest
// that ProxyCommand keeps, with its line number for messages.

export interface SshLine {
  /** 1-based line number in its file. */
  line: number;
  /** Lowercased, as ssh matches keywords. */
  keyword: string;
  /** Arguments split as argv_split does: quotes, backslash escapes, a `#` word ends the line. */
  args: string[];
  /** Everything after the keyword and its separator, unsplit (ProxyCommand, ProxyJump). */
  rest: string;
}

export function parseSshLines(text: string): SshLine[] {
  const lines: SshLine[] = [];
  text.split('\n').forEach((raw, i) => {
    // ssh strips trailing whitespace, \r and \f included.
    const stripped = raw.replace(/[ \t\r\n\f]+$/, '');
    const match = /^[ \t]*([^ \t=]*)(?:[ \t]*=[ \t]*|[ \t]+|$)([\s\S]*)$/.exec(stripped);
    if (!match) return;
    const [, keyword = '', rest = ''] = match;
    if (keyword === '' || keyword.startsWith('#')) return;
    lines.push({ line: i + 1, keyword: keyword.toLowerCase(), args: splitArgs(rest), rest: rest.replace(/^[ \t=]+/, '') });
  });
  return lines;
}

/** argv_split(..., terminate_on_comment = 1) of OpenSSH's misc.c. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length || text[i] === '#') break;
    let arg = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (!quote && (c === ' ' || c === '\t')) break;
      if (c === '\\' && i + 1 < text.length && (text[i + 1] === '\\' || text[i + 1] === '"' || text[i + 1] === "'" || (!quote && text[i + 1] === ' '))) {
        arg += text[++i];
      } else if (quote === undefined && (c === '"' || c === "'")) {
        quote = c;
      } else if (c === quote) {
        quote = undefined;
      } else {
        arg += c;
      }
    }
    args.push(arg);
  }
  return args;
}

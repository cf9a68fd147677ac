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

const isBlank = (c: number) => c === 32 || c === 9;
/** What ssh strips from a line's end: space, tab, \r, \n, \f. */
const isTrailing = (c: number) => c === 32 || c === 9 || c === 13 || c === 10 || c === 12;

/**
 * Every directive line of `text`, read by offsets (no regular expression, no split copy of the
 * text): a 1 MiB config is a pass over its characters and an object per directive.
 */
export function parseSshLines(text: string): SshLine[] {
  const lines: SshLine[] = [];
  let number = 0;
  for (let start = 0; start <= text.length; ) {
    const found = text.indexOf('\n', start);
    let end = found < 0 ? text.length : found;
    const from = start;
    start = end + 1;
    number++;
    // ssh strips trailing whitespace, \r and \f included.
    while (end > from && isTrailing(text.charCodeAt(end - 1))) end--;
    let i = from;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    const keywordStart = i;
    while (i < end && !isBlank(text.charCodeAt(i)) && text.charCodeAt(i) !== 61) i++;
    if (i === keywordStart || text.charCodeAt(keywordStart) === 35) continue;
    const keyword = text.slice(keywordStart, i);
    // The separator: blanks around one '=', or blanks.
    let j = i;
    while (j < end && isBlank(text.charCodeAt(j))) j++;
    if (j < end && text.charCodeAt(j) === 61) {
      j++;
      while (j < end && isBlank(text.charCodeAt(j))) j++;
      i = j;
    } else if (j > i || j === end) i = j;
    const rest = text.slice(i, end);
    let r = i;
    while (r < end && (isBlank(text.charCodeAt(r)) || text.charCodeAt(r) === 61)) r++;
    lines.push({ line: number, keyword: keyword.toLowerCase(), args: splitArgs(rest), rest: r === i ? rest : text.slice(r, end) });
  }
  return lines;
}

/** argv_split's words where no quote or backslash can change them: each run of non-blanks, up to a `#` word. */
function plainArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isBlank(text.charCodeAt(i))) i++;
    if (i >= text.length || text.charCodeAt(i) === 35) break;
    const from = i;
    while (i < text.length && !isBlank(text.charCodeAt(i))) i++;
    args.push(text.slice(from, i));
  }
  return args;
}

/** argv_split(..., terminate_on_comment = 1) of OpenSSH's misc.c. */
export function splitArgs(text: string): string[] {
  if (!/["'\\]/.test(text)) return plainArgs(text);
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

// A store in the plain shape knock itself writes (block mappings of plain words or phrases of
// them, flow lists of words, whole-line comments), read in one pass. yaml's full parser costs
// about a second per MiB; this reader takes the common case in a few milliseconds and declines everything else
// (quotes, anchors, tags, block lists, numbers other than plain integers, keywords, tabs,
// documents), which then goes to yaml. Where it answers, it answers what yaml would.

/** One key of the top-level `profiles` (or `groups`) mapping, with the offset of its line. */
export interface OutlineEntry {
  name: string;
  /** Offset of the line the key opens. */
  lineStart: number;
}

export interface MappingOutline {
  lineStart: number;
  indent: number;
  /** Undefined where the key has no mapping below it (`profiles:` alone, or a value on its line). */
  entries: OutlineEntry[] | undefined;
}

export interface QuickStore {
  value: Record<string, unknown>;
  /** Where `profiles:` is (its line's offset), and its entries; absent without that key. */
  profiles?: MappingOutline;
  /** The same for `groups:`. */
  groups?: MappingOutline;
}

const WORD = /^[A-Za-z0-9_][A-Za-z0-9_.:\/@+-]*$/;
/** yaml's core schema reads these words as a boolean or null. */
const KEYWORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL']);
/** ...and these, which start with a digit, as numbers other than a plain integer. */
const NUMBERS = [/^0o[0-7]+$/, /^0x[0-9a-fA-F]+$/, /^(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/];

/** A plain word as yaml's core schema reads it, or undefined where this reader does not decide. */
export function scalar(word: string): string | number | undefined {
  if (!WORD.test(word) || word.endsWith(':')) return undefined;
  const first = word.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    if (/^[0-9]+$/.test(word)) return word.length <= 15 ? Number(word) : undefined;
    return NUMBERS.some((re) => re.test(word)) ? undefined : word;
  }
  return KEYWORDS.has(word) ? undefined : word;
}

/** A later word of a phrase: no ':' or '#', which could start a mapping or a comment. */
const PHRASE_WORD = /^[A-Za-z0-9_.\/@+-]+$/;

/**
 * A block value as yaml's core schema reads it: a plain word (scalar), or a phrase of such
 * words one space apart (`the office door`), which is a string whatever its words are.
 */
export function blockScalar(raw: string): string | number | undefined {
  if (!raw.includes(' ')) return scalar(raw);
  const words = raw.split(' ');
  const first = words[0]!;
  if (!WORD.test(first) || first.endsWith(':')) return undefined;
  for (let i = 1; i < words.length; i++) if (!PHRASE_WORD.test(words[i]!)) return undefined;
  return raw;
}

function flowList(text: string): unknown[] | undefined {
  if (text === '[]') return [];
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  const items: unknown[] = [];
  for (const raw of text.slice(1, -1).split(',')) {
    const value = scalar(raw.trim());
    if (value === undefined) return undefined;
    items.push(value);
  }
  return items;
}

interface Frame {
  indent: number;
  obj: Record<string, unknown>;
}

/** A character of KEY after its first: letters, digits and _ . / @ + -. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 47 || c === 64 || c === 43 || c === 45;
}

/** Whether the quick reader takes `key` as a mapping key (and yaml reads it as that string). */
export function isQuickKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95)) return false;
  for (let i = 1; i < key.length; i++) if (!isKeyChar(key.charCodeAt(i))) return false;
  return !KEYWORDS.has(key) && key !== '__proto__';
}

/**
 * Lines of a block mapping's entries read on their own, as the quick reader reads them inside
 * a mapping whose keys sit at `indent` (> 0): their entries in order, or undefined where the
 * reader declines them or they are not exactly such entries (a first key at another
 * indentation, a line shallower than `indent`). No lines but blank ones and comments: {}.
 */
export function quickEntries(lines: string, indent: number): Record<string, unknown> | undefined {
  if (indent <= 0) return undefined;
  const first = /^[ ]*[^ \n#]/m.exec(lines);
  if (!first) return /[\t\r\0\ufeff]/.test(lines) ? undefined : {};
  if (first[0].length - 1 !== indent) return undefined;
  const read = quickStore('_:\n' + lines);
  const value = read?.value;
  if (!value || Object.keys(value).length !== 1) return undefined;
  const entries = value._;
  return entries && typeof entries === 'object' && !Array.isArray(entries) ? (entries as Record<string, unknown>) : undefined;
}

/**
 * The store's contents and outline, or undefined where yaml must read it. One pass over the
 * characters, no regular expression per line: a 1 MiB store costs milliseconds, not a second.
 */
export function quickStore(text: string): QuickStore | undefined {
  if (/[\t\r\0\ufeff]/.test(text)) return undefined;
  const root: Record<string, unknown> = {};
  const stack: Frame[] = [{ indent: 0, obj: root }];
  let pending: { obj: Record<string, unknown>; key: string; indent: number } | undefined;
  let profiles: MappingOutline | undefined;
  let profilesObj: Record<string, unknown> | undefined;
  let groups: MappingOutline | undefined;
  let groupsObj: Record<string, unknown> | undefined;
  let any = false;
  const length = text.length;
  for (let lineStart = 0; lineStart <= length; ) {
    const found = text.indexOf('\n', lineStart);
    const end = found < 0 ? length : found;
    const start = lineStart;
    lineStart = end + 1;
    let c = start;
    while (c < end && text.charCodeAt(c) === 32) c++;
    if (c === end || text.charCodeAt(c) === 35) continue;
    const indent = c - start;
    // The key: KEY's characters up to a ':' that ends the line or has a space after it.
    const first = text.charCodeAt(c);
    if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95)) return undefined;
    let colon = c + 1;
    while (colon < end && isKeyChar(text.charCodeAt(colon))) colon++;
    if (colon === end || text.charCodeAt(colon) !== 58) return undefined;
    if (colon + 1 < end && text.charCodeAt(colon + 1) !== 32) return undefined;
    const key = text.slice(c, colon);
    if (KEYWORDS.has(key) || key === '__proto__') return undefined;
    // A comment starts at a '#' after a space; what is before it is the value.
    let valueEnd = colon + 1;
    while (valueEnd < end && !(text.charCodeAt(valueEnd) === 35 && text.charCodeAt(valueEnd - 1) === 32)) valueEnd++;
    if (valueEnd < end) valueEnd--;
    let valueStart = colon + 1;
    while (valueStart < valueEnd && text.charCodeAt(valueStart) === 32) valueStart++;
    while (valueEnd > valueStart && text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    if (pending) {
      if (indent > pending.indent) {
        const obj: Record<string, unknown> = {};
        pending.obj[pending.key] = obj;
        stack.push({ indent, obj });
        if (pending.obj === root && pending.key === 'profiles') {
          profilesObj = obj;
          profiles!.entries = [];
        }
        if (pending.obj === root && pending.key === 'groups') {
          groupsObj = obj;
          groups!.entries = [];
        }
      } else pending.obj[pending.key] = null;
      pending = undefined;
    }
    while (stack.length > 1 && indent < stack[stack.length - 1]!.indent) stack.pop();
    const top = stack[stack.length - 1]!;
    if (indent !== top.indent) return undefined;
    if (Object.hasOwn(top.obj, key)) return undefined;
    any = true;
    if (top.obj === root && key === 'profiles') profiles = { lineStart: start, indent, entries: undefined };
    if (top.obj === profilesObj) profiles!.entries!.push({ name: key, lineStart: start });
    if (top.obj === root && key === 'groups') groups = { lineStart: start, indent, entries: undefined };
    if (top.obj === groupsObj) groups!.entries!.push({ name: key, lineStart: start });
    if (valueStart === valueEnd) {
      pending = { obj: top.obj, key, indent };
      top.obj[key] = null;
      continue;
    }
    const rawValue = text.slice(valueStart, valueEnd);
    const value = text.charCodeAt(valueStart) === 91 ? flowList(rawValue) : blockScalar(rawValue);
    if (value === undefined) return undefined;
    top.obj[key] = value;
  }
  if (!any) return undefined;
  return { value: root, ...(profiles ? { profiles } : {}), ...(groups ? { groups } : {}) };
}

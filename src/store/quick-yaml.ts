// A store in the plain shape knock itself writes (block mappings of plain words, flow lists of
// them, whole-line comments), read in one pass. yaml's full parser costs about a second per
// MiB; this reader takes the common case in a few milliseconds and declines everything else
// (quotes, anchors, tags, block lists, numbers other than plain integers, keywords, tabs,
// documents), which then goes to yaml. Where it answers, it answers what yaml would.

/** One key of the top-level `profiles` mapping, with the offset of its line. */
export interface OutlineEntry {
  name: string;
  /** Offset of the line the key opens. */
  lineStart: number;
}

export interface QuickStore {
  value: Record<string, unknown>;
  /** Where `profiles:` is (its line's offset), and its entries; absent without that key. */
  profiles?: { lineStart: number; indent: number; entries: OutlineEntry[] | undefined };
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.\/@+-]*$/;
const WORD = /^[A-Za-z0-9_][A-Za-z0-9_.:\/@+-]*$/;
const LINE = /^( *)([^ :#][^ :]*):(.*)$/;
/** yaml's core schema reads these words as a boolean or null. */
const KEYWORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL']);
/** ...and these, which start with a digit, as numbers other than a plain integer. */
const NUMBERS = [/^0o[0-7]+$/, /^0x[0-9a-fA-F]+$/, /^(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/];

/** A plain word as yaml's core schema reads it, or undefined where this reader does not decide. */
function scalar(word: string): string | number | undefined {
  if (!WORD.test(word) || word.endsWith(':')) return undefined;
  const first = word.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    if (/^[0-9]+$/.test(word)) return word.length <= 15 ? Number(word) : undefined;
    return NUMBERS.some((re) => re.test(word)) ? undefined : word;
  }
  return KEYWORDS.has(word) ? undefined : word;
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

/** The store's contents and outline, or undefined where yaml must read it. */
export function quickStore(text: string): QuickStore | undefined {
  if (/[\t\r\0\ufeff]/.test(text)) return undefined;
  const root: Record<string, unknown> = {};
  const stack: Frame[] = [{ indent: 0, obj: root }];
  let pending: { obj: Record<string, unknown>; key: string; indent: number } | undefined;
  let profiles: QuickStore['profiles'];
  let profilesObj: Record<string, unknown> | undefined;
  let any = false;
  for (let lineStart = 0; lineStart <= text.length; ) {
    const end = text.indexOf('\n', lineStart);
    const line = end < 0 ? text.slice(lineStart) : text.slice(lineStart, end);
    const start = lineStart;
    lineStart = end < 0 ? text.length + 1 : end + 1;
    let c = 0;
    while (line.charCodeAt(c) === 32) c++;
    if (c === line.length || line.charCodeAt(c) === 35) continue;
    const match = LINE.exec(line);
    if (!match) return undefined;
    const [, spaces = '', key = '', rest = ''] = match;
    const indent = spaces.length;
    if (rest !== '' && !rest.startsWith(' ')) return undefined;
    // A comment starts at a '#' after a space; what is before it is the value.
    const comment = rest.indexOf(' #');
    const rawValue = (comment < 0 ? rest : rest.slice(0, comment)).trim() || undefined;
    if (!KEY.test(key) || KEYWORDS.has(key) || key === '__proto__') return undefined;
    if (pending) {
      if (indent > pending.indent) {
        const obj: Record<string, unknown> = {};
        pending.obj[pending.key] = obj;
        stack.push({ indent, obj });
        if (pending.obj === root && pending.key === 'profiles') {
          profilesObj = obj;
          profiles!.entries = [];
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
    if (rawValue === undefined) {
      pending = { obj: top.obj, key, indent };
      top.obj[key] = null;
      continue;
    }
    const value = rawValue.startsWith('[') ? flowList(rawValue) : scalar(rawValue);
    if (value === undefined) return undefined;
    top.obj[key] = value;
  }
  if (!any) return undefined;
  return profiles ? { value: root, profiles } : { value: root };
}

// What the quick reader reads from a store after a line splice (edit-splice.ts), proven by
// reading only the lines the splice changed: every other byte is compared with the old store's,
// the cut lines and the new ones are read on their own, and the reader's state where each cut
// starts and ends is shown to be what it was, so the old reading holds for everything else.
import type { Cut } from './edit-splice.js';
import { quickEntries, type QuickStore } from './quick-yaml.js';

const NL = 10;
const SPACE = 32;
const HASH = 35;

/** The indentation of the line at `start`. */
function indentAt(text: string, start: number): number {
  let c = start;
  while (c < text.length && text.charCodeAt(c) === SPACE) c++;
  return c - start;
}

/**
 * The indentation of the first line at or after `start` that the quick reader does not skip
 * (blank lines and comments it skips), or -1 when there is none.
 */
function nextKeyIndent(text: string, start: number): number {
  for (let at = start; at < text.length; ) {
    const indent = indentAt(text, at);
    const c = text.charCodeAt(at + indent);
    if (at + indent < text.length && c !== NL && c !== HASH) return indent;
    const nl = text.indexOf('\n', at);
    if (nl < 0) return -1;
    at = nl + 1;
  }
  return -1;
}

/** Where the `profiles` mapping's lines end: the first line after `last` shallower than `indent`. */
function mappingEnd(text: string, last: number, indent: number): number {
  for (let at = text.indexOf('\n', last) + 1; at > 0 && at < text.length; ) {
    const own = indentAt(text, at);
    const c = text.charCodeAt(at + own);
    if (at + own < text.length && c !== NL && c !== HASH && own < indent) return at;
    at = text.indexOf('\n', at) + 1;
  }
  return text.length;
}

const startsLine = (text: string, at: number) => at === 0 || text.charCodeAt(at - 1) === NL;

/**
 * The contents quickStore(out as UTF-8) gives, where that follows from `quick` (the reading of
 * `old`, whose latin1 text is `text`) and the cut lines alone; undefined where it does not (then
 * the caller reads `out` in full). `cuts`: in the order of the text, as spliceEdit made them.
 */
export function readSplice(old: Buffer, text: string, quick: QuickStore, cuts: readonly Cut[], out: Buffer): Record<string, unknown> | undefined {
  const entries = quick.profiles?.entries;
  const before = quick.value.profiles as Record<string, unknown> | null | undefined;
  if (!entries?.length || !before || typeof before !== 'object' || text.length !== old.length) return undefined;
  const indent = indentAt(text, entries[0]!.lineStart);
  const first = entries[0]!.lineStart;
  const end = mappingEnd(text, entries[entries.length - 1]!.lineStart, indent);
  const profiles: Record<string, unknown> = {};
  const put = (name: string, value: unknown) => {
    if (Object.hasOwn(profiles, name)) return false;
    profiles[name] = value;
    return true;
  };
  let at = 0;
  let outAt = 0;
  let e = 0;
  for (const cut of cuts) {
    // Whole lines of the profiles mapping, in order, none overlapping.
    if (cut.from < at || cut.to < cut.from || cut.from < first || cut.to > end || !startsLine(text, cut.to) && cut.to !== text.length) return undefined;
    if (!startsLine(text, cut.from) && !(cut.from === cut.to && cut.from === text.length && cut.text.startsWith('\n'))) return undefined;
    if (cut.text !== '' && !cut.text.endsWith('\n')) return undefined;
    // The reader's next key after the cut is at the mapping's level or shallower: nothing of an
    // entry is left behind to fall under the new lines.
    const after = nextKeyIndent(text, cut.to);
    if (after > indent) return undefined;
    // The bytes before the cut, as they were.
    const same = cut.from - at;
    if (out.length < outAt + same || out.compare(old, at, cut.from, outAt, outAt + same) !== 0) return undefined;
    for (; e < entries.length && entries[e]!.lineStart < cut.from; e++) if (!put(entries[e]!.name, before[entries[e]!.name])) return undefined;
    // The cut lines are exactly whole entries, the ones the old reading has there.
    const cutNames: string[] = [];
    for (; e < entries.length && entries[e]!.lineStart < cut.to; e++) cutNames.push(entries[e]!.name);
    const gone = quickEntries(text.slice(cut.from, cut.to), indent);
    if (!gone || Object.keys(gone).join('\n') !== cutNames.join('\n')) return undefined;
    const added = quickEntries(Buffer.from(cut.text, 'latin1').toString('utf8'), indent);
    if (!added) return undefined;
    for (const [name, value] of Object.entries(added)) if (!put(name, value)) return undefined;
    outAt += same + cut.text.length;
    at = cut.to;
  }
  const rest = text.length - at;
  if (out.length !== outAt + rest || out.compare(old, at, text.length, outAt, out.length) !== 0) return undefined;
  for (; e < entries.length; e++) if (!put(entries[e]!.name, before[entries[e]!.name])) return undefined;
  // No entries left: the reader gives `profiles: null` there; the full reading says so.
  if (Object.keys(profiles).length === 0) return undefined;
  return { ...quick.value, profiles };
}

// Text that came from a file, a name or the network, made safe to print on one terminal line.

/** Control characters, DEL, C1 controls, line/paragraph separators and bidi overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const code = c.charCodeAt(0);
  return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `text` with every character a terminal would act on written as an escape (\x1b, \n,
 * \u202e), and cut to `max` characters, so a message stays one line and shows what was there.
 */
export function printable(text: string, max = Infinity): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return cut.replace(UNSAFE, escapeOne);
}

/**
 * A value from a store or the command line as a message shows it: numbers as JavaScript writes
 * them (NaN and Infinity too, which JSON would make null), anything else as JSON, made printable
 * and cut to 40 characters.
 */
export function shownValue(value: unknown): string {
  return printable(typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)), 40);
}

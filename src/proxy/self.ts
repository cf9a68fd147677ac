// How to run this very knock again: for the watchdog child and for ProxyCommand lines.
export interface SelfCommand {
  /** The Node executable running us. */
  node: string;
  /** The absolute path of the knock script (bin/knock, or the npm link to it). */
  script: string;
}

/** A word for a POSIX shell (ssh runs ProxyCommand through `$SHELL -c`). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

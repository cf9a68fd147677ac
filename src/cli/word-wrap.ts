// Help text wrapped on words: what yargs' table layout (cliui) asks of wrap-ansi. cliui's ES
// module build ships a stand-in that cuts every `width` characters, mid-word (`m` / `ode 0600`);
// the bundle puts this in its place (scripts/build.mjs). Only a word longer than a line is cut.

const ANSI = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** `text` in lines of at most `width` characters, broken at spaces; existing line breaks kept. */
export function wrap(text: string, width: number): string {
  if (!(width > 0)) return text;
  const plain = stripAnsi(text);
  return plain
    .split('\n')
    .map((paragraph) => wrapParagraph(paragraph, width))
    .join('\n');
}

function wrapParagraph(paragraph: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line === '') {
      line = word;
    } else if ([...line].length + 1 + [...word].length <= width) {
      line += ' ' + word;
    } else {
      lines.push(line);
      line = word;
    }
    // A word wider than a whole line (a long path) is cut: nothing else fits it.
    while ([...line].length > width) {
      const chars = [...line];
      lines.push(chars.slice(0, width).join(''));
      line = chars.slice(width).join('');
    }
  }
  lines.push(line);
  return lines.join('\n');
}

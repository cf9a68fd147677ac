// knock(1), made from the README's Reference section at build time: one source, so the man
// page and the manual cannot drift. Knows the Markdown the README uses and no more: headings,
// paragraphs, `code`, **bold**, *emphasis*, links, lists, fenced blocks and tables.

/** The roff text of the man page. */
export function readmeToMan(readme, { version, date }) {
  const intro = /\n\n(A port-knocking client:[\s\S]*?)\n\n/.exec(readme)?.[1] ?? '';
  const start = readme.indexOf('\n## Reference\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "## Reference" section for the man page');
  const reference = readme.slice(start + '\n## Reference\n'.length, end < 0 ? undefined : end);

  const out = [
    `.TH KNOCK 1 "${date}" "knock ${version}" "User Commands"`,
    // Left-aligned, never hyphenated: an option must stay one word to be found (and pasted).
    '.ad l',
    '.nh',
    '.SH NAME',
    'knock \\- port-knocking client: exactly one packet per knock, in order, on time',
  ];
  const sections = reference
    .split(/^### /m)
    .slice(1)
    .map((section) => {
      const newline = section.indexOf('\n');
      return { title: section.slice(0, newline).trim(), body: section.slice(newline + 1) };
    });
  // One COMMANDS section, where the first command is: the README puts topics (one-time
  // sequences, locking) between commands, which would otherwise open a second COMMANDS.
  const isCommand = (title) => /^knock\b/.test(title);
  const commands = sections.filter((s) => isCommand(s.title));
  // The README's own section on the server side, whatever it holds, before the reference's tail.
  const setup = levelTwoSection(readme, 'Set up the server');
  let setupDone = !setup;
  for (const { title, body } of sections) {
    if (isCommand(title)) {
      if (title !== commands[0].title) continue;
      out.push('.SH COMMANDS');
      for (const command of commands) out.push(`.SS ${inline(command.title)}`, ...blocks(command.body));
      continue;
    }
    if (!setupDone && /^(Environment|Files|Exit status)$/.test(title)) {
      out.push('.SH "SET UP THE SERVER"', ...blocks(setup));
      setupDone = true;
    }
    out.push(`.SH ${quoteMacroArg(title.toUpperCase())}`, ...blocks(body));
    if (title === 'Synopsis' && intro) out.push('.SH DESCRIPTION', ...blocks(intro));
  }
  if (!setupDone) out.push('.SH "SET UP THE SERVER"', ...blocks(setup));
  out.push('.SH SEE ALSO', '.BR ssh (1),', '.BR ssh_config (5),', '.BR knockd (1),', '.BR iptables (8),', '.BR nft (8)');
  return out.join('\n') + '\n';
}

/** The body of a `## TITLE` section (its own `###` headings become subsections), or ''. */
function levelTwoSection(readme, title) {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const from = start + `\n## ${title}\n`.length;
  const end = readme.indexOf('\n## ', from);
  return readme.slice(from, end < 0 ? undefined : end);
}

function blocks(markdown) {
  const out = [];
  const lines = markdown.split('\n');
  let paragraph = [];
  // Inline markup is read across the paragraph's lines: a code span may break over a line.
  const inlineLines = (list) => inline(list.join('\n')).split('\n').map(escapeLine);
  const flush = () => {
    if (paragraph.length > 0) out.push('.PP', ...inlineLines(paragraph));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      out.push('.PP', '.RS 4', '.nf', ...code.map((l) => escapeLine(escapeText(l))), '.fi', '.RE');
    } else if (line.startsWith('|')) {
      flush();
      const rows = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i]);
      i--;
      // The header and the |---| line are for the eye; each row becomes a tagged paragraph.
      for (const row of rows.slice(2)) {
        const cells = row.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
        out.push('.TP', escapeLine(inline(cells[0] ?? '')), escapeLine(inline(cells.slice(1).filter(Boolean).join(' \u2014 '))));
      }
    } else if (/^- /.test(line)) {
      flush();
      const item = [line.slice(2)];
      for (; i + 1 < lines.length && /^ {2}\S/.test(lines[i + 1]); i++) item.push(lines[i + 1].trim());
      out.push('.IP \\(bu 2', ...inlineLines(item));
    } else if (/^#### |^### /.test(line)) {
      flush();
      out.push(`.SS ${inline(line.replace(/^#+ /, ''))}`);
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return out;
}

/** Inline Markdown to roff fonts, after escaping what roff would read as its own. */
function inline(text) {
  const parts = text.split(/(`[^`]*`)/);
  return parts
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return `\\fB${escapeText(part.slice(1, -1))}\\fR`;
      return escapeText(part)
        .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
        .replace(/\*\*([^*]+)\*\*/g, '\\fB$1\\fR')
        .replace(/(^|[\s(])\*([^*\s][^*]*)\*/g, '$1\\fI$2\\fR');
    })
    .join('');
}

/** Backslashes and hyphens as roff wants them (a bare `-` may become a typographic hyphen). */
function escapeText(text) {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-');
}

/** A line that starts with `.` or `'` would be a roff request. */
function escapeLine(line) {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

function quoteMacroArg(text) {
  return /\s/.test(text) ? `"${text}"` : text;
}

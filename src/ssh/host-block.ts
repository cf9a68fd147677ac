// Host blocks for ~/.ssh/config: render one for a profile, and add it to a config text
// without clobbering anything (ssh-config parses; we only insert lines).
import SSHConfig, { LineType, type Directive, type Line, type Section } from 'ssh-config';
import { ConfigError, reasonOf } from '../shared/errors.js';
import { shownValue } from '../shared/printable.js';
import { isPort } from '../knock/tokens.js';
import type { Evaluation, SshValue } from './evaluate.js';

export interface HostBlock {
  alias: string;
  hostName?: string;
  port?: number;
  proxyCommand: string;
  /** ssh passes the socket back and talks to the server itself (knock proxy supports it). */
  proxyUseFdpass?: boolean;
}

/**
 * Refuses a block whose values ssh would read as more than one value: every value reaches
 * ~/.ssh/config syntax, where a newline starts a new directive (say LocalCommand), a space,
 * quote or '#' splits or ends it, and '%' is a token. An alias must be one plain Host name (no
 * pattern, no quote, no '%'); a HostName a host name or address (a '%zone' is written '%%zone',
 * so ssh reads '%' and does not expand it); the ProxyCommand one line of printable text.
 */
export function checkHostBlock(block: HostBlock): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._@+-]*$/.test(block.alias)) {
    throw new ConfigError(`profile name ${shownValue(block.alias)} is not a plain ssh Host name (letters, digits, . _ - @ +); no Host block written`);
  }
  if (block.hostName !== undefined && !/^[A-Za-z0-9._:-]+(%[A-Za-z0-9._-]+)?$/.test(block.hostName)) {
    throw new ConfigError(`Host ${block.alias}: host ${shownValue(block.hostName)} is not a host name or address ssh can read as one HostName; no Host block written`);
  }
  if (block.port !== undefined && !isPort(block.port)) {
    throw new ConfigError(`Host ${block.alias}: port ${shownValue(block.port)} is not 1-65535; no Host block written`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(block.proxyCommand) || block.proxyCommand.trim() !== block.proxyCommand) {
    throw new ConfigError(`Host ${block.alias}: ProxyCommand ${shownValue(block.proxyCommand)} is not one line of printable text; no Host block written`);
  }
}

/** A HostName as written in ssh config: '%' (a zone's) doubled, as ssh expands tokens there. */
function hostNameValue(hostName: string): string {
  return hostName.replace(/%/g, '%%');
}

/** A word (a path) as ssh's ProxyCommand reads it: '%' doubled so ssh does not expand it as a token. */
export function sshPercentEscape(word: string): string {
  return word.replace(/%/g, '%%');
}

export function renderHostBlock(block: HostBlock, indent = '  '): string {
  checkHostBlock(block);
  const lines = [`Host ${block.alias}`];
  if (block.hostName && block.hostName !== block.alias) lines.push(`${indent}HostName ${hostNameValue(block.hostName)}`);
  if (block.port) lines.push(`${indent}Port ${block.port}`);
  lines.push(`${indent}ProxyCommand ${block.proxyCommand}`);
  if (block.proxyUseFdpass) lines.push(`${indent}ProxyUseFdpass yes`);
  return lines.join('\n') + '\n';
}

export type AddOutcome =
  | { kind: 'added-block'; text: string }
  | { kind: 'added-to-block'; text: string; added: string[] }
  | { kind: 'unchanged' };

/** What ssh would apply for the alias if the main file read `text` (its Include files as they are). */
export type EvaluateText = (text: string) => Evaluation;

/**
 * Adds `block` to the config text `text` (of `file`, for messages). Refuses when ssh would
 * already use another ProxyCommand or a ProxyJump for the alias (from this file or one it
 * includes), and when only an included file defines the alias; an identical ProxyCommand is
 * left alone. A Host block naming only the alias gets the missing lines; otherwise a new
 * block goes before the first wildcard block (ssh takes the first value it finds). The
 * file's line ends (CRLF or LF) and indentation are kept.
 */
export function addHostBlock(text: string, file: string, block: HostBlock, evaluate: EvaluateText): AddOutcome {
  checkHostBlock(block);
  // A file written with CRLF throughout stays CRLF; ssh reads both.
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  const outcome = addToText(crlf ? text.replace(/\r\n/g, '\n') : text, file, block, evaluate);
  if (crlf && outcome.kind !== 'unchanged') outcome.text = outcome.text.replace(/\n/g, '\r\n');
  return outcome;
}

function addToText(text: string, file: string, block: HostBlock, evaluate: EvaluateText): AddOutcome {
  let config: SSHConfig;
  try {
    config = SSHConfig.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: does not parse: ${reasonOf(error)}`);
  }
  const before = evaluate(text);
  const existing = before.values.get('proxycommand');
  const ours = existing !== undefined && existing.rest === block.proxyCommand;
  if (existing !== undefined && !ours) {
    throw new ConfigError(`${where(existing)}: Host ${block.alias} already has ProxyCommand ${existing.rest}; not changed (remove it first, or copy the block from 'knock ssh-config ${block.alias}')`);
  }
  const jump = before.values.get('proxyjump');
  if (jump !== undefined && jump.rest.toLowerCase() !== 'none') {
    throw new ConfigError(`${where(jump)}: Host ${block.alias} already has ProxyJump ${jump.rest}, which ssh would use with a ProxyCommand; not changed`);
  }

  const own = config.find((line) => isSection(line, 'host') && hostNames(line).length === 1 && hostNames(line)[0] === block.alias) as Section | undefined;
  // Ours already: a block written before fd passing gets the one line it lacks, in its own block.
  if (ours && (!block.proxyUseFdpass || before.values.has('proxyusefdpass') || !own || existing.file !== file)) return { kind: 'unchanged' };
  let outcome: AddOutcome;
  if (own) {
    const wanted: [string, string][] = [];
    if (block.hostName && block.hostName !== block.alias && !before.values.has('hostname')) wanted.push(['HostName', hostNameValue(block.hostName)]);
    if (block.port && !before.values.has('port')) wanted.push(['Port', String(block.port)]);
    if (!ours) wanted.push(['ProxyCommand', block.proxyCommand]);
    if (block.proxyUseFdpass && !before.values.has('proxyusefdpass')) wanted.push(['ProxyUseFdpass', 'yes']);
    const directives = own.config.filter((l) => l.type === LineType.DIRECTIVE) as Directive[];
    const last = directives.at(-1);
    const indent = last?.before || indentOf(config);
    let at = last ? own.config.indexOf(last) + 1 : 0;
    // The last line's own line end stays with it; blank lines after it move below ours.
    const [, lineEnd = '', rest = ''] = /^([^\n]*\n?)([\s\S]*)$/.exec(last?.after ?? own.after ?? '') ?? [];
    if (last) last.after = lineEnd.endsWith('\n') ? lineEnd : lineEnd + '\n';
    else own.after = '\n';
    wanted.forEach(([param, value], i) => {
      const after = i === wanted.length - 1 ? '\n' + rest : '\n';
      const line: Directive = { type: LineType.DIRECTIVE, before: indent, after, param, separator: ' ', value };
      own.config.splice(at++, 0, line);
    });
    outcome = { kind: 'added-to-block', text: config.toString(), added: wanted.map(([p]) => p) };
  } else {
    const elsewhere = before.definitions.find((d) => d.file !== file && d.reachable);
    if (elsewhere) {
      throw new ConfigError(
        `${elsewhere.file} line ${elsewhere.line}: Host ${block.alias} is defined there (included from ${file}); add 'ProxyCommand ${block.proxyCommand}' to that block yourself; not changed`,
      );
    }
    outcome = { kind: 'added-block', text: withNewBlock(text, config, block) };
  }

  // Proof by ssh's own rules: after the edit, ssh must use our ProxyCommand for the alias.
  const after = evaluate(outcome.text).values.get('proxycommand');
  if (after?.rest !== block.proxyCommand) {
    throw new ConfigError(`${file}: after adding Host ${block.alias}, ssh would still not use its ProxyCommand${after ? ` (${where(after)} comes first)` : ''}; not changed`);
  }
  return outcome;
}

function withNewBlock(text: string, config: SSHConfig, block: HostBlock): string {
  const rendered = renderHostBlock(block, indentOf(config));
  const wildcard = config.findIndex((line) => (isSection(line, 'host') && hostNames(line).some((n) => /[*?!]/.test(n))) || isSection(line, 'match'));
  if (wildcard === -1) {
    const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    return text + sep + rendered;
  }
  // Ours gets a blank line after it, before the wildcard block.
  const fresh = [...SSHConfig.parse(rendered)];
  const tail = fresh.at(-1) as Section;
  const lastLine = tail.config.at(-1);
  if (lastLine) lastLine.after = '\n\n';
  config.splice(wildcard, 0, ...fresh);
  return config.toString();
}

/** The indentation the file already uses inside its blocks (two spaces when it has none). */
function indentOf(config: SSHConfig): string {
  for (const line of config) {
    if (line.type !== LineType.DIRECTIVE || !('config' in line)) continue;
    for (const sub of line.config) if (sub.type === LineType.DIRECTIVE && /^[ \t]+$/.test(sub.before)) return sub.before;
  }
  return '  ';
}

function where(value: SshValue): string {
  return `${value.file} line ${value.line}`;
}

function isSection(line: Line, param: 'host' | 'match'): line is Section {
  return line.type === LineType.DIRECTIVE && 'config' in line && line.param.toLowerCase() === param;
}

function hostNames(line: Section): string[] {
  return Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/).filter(Boolean);
}

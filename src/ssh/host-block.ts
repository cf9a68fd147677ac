// Host blocks for ~/.ssh/config: render one for a profile, and add it to a config text
// without clobbering anything (ssh-config parses; we only insert lines).
import SSHConfig, { LineType, type Directive, type Line, type Section } from 'ssh-config';
import { ConfigError, reasonOf } from '../shared/errors.js';

export interface HostBlock {
  alias: string;
  hostName?: string;
  port?: number;
  proxyCommand: string;
  /** ssh passes the socket back and talks to the server itself (knock proxy supports it). */
  proxyUseFdpass?: boolean;
}

export function renderHostBlock(block: HostBlock): string {
  const lines = [`Host ${block.alias}`];
  if (block.hostName && block.hostName !== block.alias) lines.push(`  HostName ${block.hostName}`);
  if (block.port) lines.push(`  Port ${block.port}`);
  lines.push(`  ProxyCommand ${block.proxyCommand}`);
  if (block.proxyUseFdpass) lines.push('  ProxyUseFdpass yes');
  return lines.join('\n') + '\n';
}

export type AddOutcome =
  | { kind: 'added-block'; text: string }
  | { kind: 'added-to-block'; text: string; added: string[] }
  | { kind: 'unchanged' };

/**
 * Adds `block` to the config text `text` (of `file`, for messages). Refuses when ssh would
 * already use another ProxyCommand or a ProxyJump for the alias; an identical ProxyCommand is
 * left alone. A Host block naming only the alias gets the missing lines; otherwise a new
 * block goes before the first wildcard block (ssh takes the first value it finds).
 */
export function addHostBlock(text: string, file: string, block: HostBlock): AddOutcome {
  let config: SSHConfig;
  try {
    config = SSHConfig.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: does not parse: ${reasonOf(error)}`);
  }
  const computed = config.compute(block.alias, { ignoreCase: true, matchExec: false }) as Record<string, string | string[] | undefined>;
  const existing = first(computed.ProxyCommand ?? computed.proxycommand);
  if (existing !== undefined) {
    if (existing === block.proxyCommand) return { kind: 'unchanged' };
    throw new ConfigError(`${file}: Host ${block.alias} already has ProxyCommand ${existing}; not changed (remove it first, or copy the block from 'knock ssh-config ${block.alias}')`);
  }
  const jump = first(computed.ProxyJump ?? computed.proxyjump);
  if (jump !== undefined && jump.toLowerCase() !== 'none') {
    throw new ConfigError(`${file}: Host ${block.alias} already has ProxyJump ${jump}, which ssh would use with a ProxyCommand; not changed`);
  }

  const own = config.find((line) => isSection(line, 'host') && hostNames(line).length === 1 && hostNames(line)[0]!.toLowerCase() === block.alias.toLowerCase()) as
    | Section
    | undefined;
  if (own) {
    const wanted: [string, string][] = [];
    if (block.hostName && block.hostName !== block.alias && computed.HostName === undefined && computed.hostname === undefined) wanted.push(['HostName', block.hostName]);
    if (block.port && computed.Port === undefined && computed.port === undefined) wanted.push(['Port', String(block.port)]);
    wanted.push(['ProxyCommand', block.proxyCommand]);
    if (block.proxyUseFdpass && computed.ProxyUseFdpass === undefined && computed.proxyusefdpass === undefined) wanted.push(['ProxyUseFdpass', 'yes']);
    const directives = own.config.filter((l) => l.type === LineType.DIRECTIVE) as Directive[];
    const last = directives.at(-1);
    const indent = last?.before ?? '  ';
    let at = last ? own.config.indexOf(last) + 1 : 0;
    // The last line's own line end stays with it; blank lines after it move below ours.
    const [, lineEnd = '', rest = ''] = /^([^\n]*\n?)([\s\S]*)$/.exec(last?.after ?? '') ?? [];
    if (last) last.after = lineEnd.endsWith('\n') ? lineEnd : lineEnd + '\n';
    wanted.forEach(([param, value], i) => {
      const after = i === wanted.length - 1 ? '\n' + rest : '\n';
      const line: Directive = { type: LineType.DIRECTIVE, before: indent, after, param, separator: ' ', value };
      own.config.splice(at++, 0, line);
    });
    return { kind: 'added-to-block', text: config.toString(), added: wanted.map(([p]) => p) };
  }

  const fresh = [...SSHConfig.parse(renderHostBlock(block))];
  const wildcard = config.findIndex((line) => (isSection(line, 'host') && hostNames(line).some((n) => /[*?]/.test(n))) || isSection(line, 'match'));
  if (wildcard === -1) {
    const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    return { kind: 'added-block', text: text + sep + renderHostBlock(block) };
  }
  // Ours gets a blank line after it, before the wildcard block.
  const tail = fresh.at(-1) as Section;
  const lastLine = tail.config.at(-1);
  if (lastLine) lastLine.after = '\n\n';
  config.splice(wildcard, 0, ...fresh);
  return { kind: 'added-block', text: config.toString() };
}

function isSection(line: Line, param: 'host' | 'match'): line is Section {
  return line.type === LineType.DIRECTIVE && 'config' in line && line.param.toLowerCase() === param;
}

function hostNames(line: Section): string[] {
  return Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/).filter(Boolean);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

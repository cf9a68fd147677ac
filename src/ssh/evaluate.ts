// What ssh makes of a config tree for one alias (readconf.c's first pass): Host and Match decide
// which lines apply, Include inherits and then restores that state, the first value of a keyword
// wins. Match exec is never run: such a block counts as not matching, and is reported.
import type { SshConfigFile } from './include.js';

export interface SshValue {
  args: string[];
  /** The line after the keyword, unsplit (what ProxyCommand and ProxyJump use). */
  rest: string;
  file: string;
  line: number;
}

export interface HostDefinition {
  file: string;
  line: number;
  /** False when the block sits in a file included under a Host/Match that does not apply. */
  reachable: boolean;
}

export interface Evaluation {
  /** Lowercased keyword -> its first value in effect. */
  values: Map<string, SshValue>;
  /** Host lines that name the alias literally (no wildcards), in ssh's reading order. */
  definitions: HostDefinition[];
  /** Match lines knock could not decide (exec, canonical, final, ...): counted as not matching. */
  undecided: { file: string; line: number; criterion: string }[];
}

export interface EvaluateOptions {
  /** The local user name (Match user / localuser). */
  localUser: string;
}

export function evaluateFor(tree: SshConfigFile, alias: string, options: EvaluateOptions): Evaluation {
  const result: Evaluation = { values: new Map(), definitions: [], undecided: [] };
  const set = (keyword: string, value: SshValue) => {
    if (result.values.has(keyword)) return;
    // ssh ignores a ProxyCommand once a ProxyJump is set, and the other way round.
    if (keyword === 'proxycommand' && result.values.has('proxyjump')) return;
    if (keyword === 'proxyjump' && result.values.has('proxycommand')) return;
    result.values.set(keyword, value);
  };

  const walk = (file: SshConfigFile, startActive: boolean, neverMatch: boolean) => {
    let active = startActive;
    for (const line of file.lines) {
      if (line.keyword === 'host') {
        active = !neverMatch && hostMatches(line.args, alias);
        if (line.args.includes(alias) && !/[*?]/.test(alias)) result.definitions.push({ file: file.file, line: line.line, reachable: !neverMatch });
      } else if (line.keyword === 'match') {
        const verdict = neverMatch ? false : matchLine(line.args, alias, result, options);
        if (verdict === 'undecided') result.undecided.push({ file: file.file, line: line.line, criterion: line.args.join(' ') });
        active = verdict === true;
      } else if (line.keyword === 'include') {
        // An included file starts in the including line's state; ssh restores that state after it.
        for (const child of line.included ?? []) walk(child, active, neverMatch || !active);
      } else if (active) {
        set(line.keyword, { args: line.args, rest: line.rest, file: file.file, line: line.line });
      }
    }
  };
  walk(tree, true, false);
  return result;
}

/** `Host` patterns: case-sensitive, as ssh's match_pattern; a matching negation wins. */
function hostMatches(patterns: string[], alias: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (matchPattern(alias, negated ? pattern.slice(1) : pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** match_pattern (match.c): * any run, ? exactly one character. */
export function matchPattern(text: string, pattern: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(text);
}

/** match_pattern_list: comma-separated, a matching negation makes the list fail. */
function matchList(text: string, list: string, ignoreCase: boolean): boolean {
  let matched = false;
  const subject = ignoreCase ? text.toLowerCase() : text;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = ignoreCase ? raw.slice(negated ? 1 : 0).toLowerCase() : raw.slice(negated ? 1 : 0);
    if (matchPattern(subject, pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

const NO_ARGUMENT = new Set(['all', 'canonical', 'final']);

function matchLine(args: string[], alias: string, state: Evaluation, options: EvaluateOptions): boolean | 'undecided' {
  let undecided = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const negated = word.startsWith('!');
    const criterion = (negated ? word.slice(1) : word).toLowerCase();
    if (criterion === 'all') continue;
    if (criterion === 'canonical' || criterion === 'final') {
      undecided = true;
      continue;
    }
    const value = NO_ARGUMENT.has(criterion) ? '' : (args[++i] ?? '');
    let hit: boolean;
    switch (criterion) {
      case 'host': {
        const hostName = state.values.get('hostname')?.args[0];
        hit = matchList(hostName === undefined ? alias : expandHostName(hostName, alias), value, true);
        break;
      }
      case 'originalhost':
        hit = matchList(alias, value, true);
        break;
      case 'user':
        hit = matchList(state.values.get('user')?.args[0] ?? options.localUser, value, false);
        break;
      case 'localuser':
        hit = matchList(options.localUser, value, false);
        break;
      default:
        // exec (never run), localnetwork, tagged, ...: not decided here.
        undecided = true;
        continue;
    }
    if (hit === negated) return false;
  }
  return undecided ? 'undecided' : true;
}

/** ssh's HostName accepts %h (the alias) and %% (a literal percent sign); ssh then lowercases it. */
export function expandHostName(value: string, alias: string): string {
  return value.replace(/%([%h])/g, (_, c: string) => (c === 'h' ? alias : '%')).toLowerCase();
}

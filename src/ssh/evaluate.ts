// What ssh makes of a config tree for one alias (readconf.c's first pass): Host and Match decide
// which lines apply, Include inherits and then restores that state, the first value of a keyword
// wins. Match exec is never run: such a block counts as not matching, and is reported.
//
// The tree is indexed once (indexConfig): a Host line of literal names only can apply to those
// names alone, so one alias's evaluation visits its own blocks and the pattern and Match blocks,
// not every block of the file. Looking up each of n aliases then costs n blocks, not n².
import type { SshConfigFile, SshTreeLine } from './include.js';

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

/**
 * What decides whether a run of lines applies: the start of a file (it inherits the state of
 * the Include line that read it), or a Host or Match line. `parent` is the gate of that Include
 * line: under a gate that does not apply, nothing applies (ssh's "never match").
 */
interface Gate {
  file: string;
  header?: SshTreeLine;
  parent?: Gate;
}

/** Directive lines under one gate, in file order; an Include inside a block splits it in two. */
interface Run {
  gate: Gate;
  lines: SshTreeLine[];
}

export interface ConfigIndex {
  runs: Run[];
  /** Runs any alias may need: file starts, Host lines with a pattern or negation, Match lines. */
  always: number[];
  /** Runs under a Host line of literal names only, by name. */
  byName: Map<string, number[]>;
}

const isLiteral = (pattern: string) => !/[*?]/.test(pattern) && !pattern.startsWith('!');

export function indexConfig(tree: SshConfigFile): ConfigIndex {
  const index: ConfigIndex = { runs: [], always: [], byName: new Map() };
  const add = (gate: Gate, names: readonly string[] | undefined): Run => {
    const run: Run = { gate, lines: [] };
    const at = index.runs.push(run) - 1;
    if (!names) index.always.push(at);
    else for (const name of new Set(names)) {
      const list = index.byName.get(name);
      if (list) list.push(at);
      else index.byName.set(name, [at]);
    }
    return run;
  };
  const literalNames = (header: SshTreeLine | undefined) =>
    header?.keyword === 'host' && header.args.every(isLiteral) ? header.args : undefined;
  const walk = (file: SshConfigFile, parent: Gate | undefined) => {
    let gate: Gate = { file: file.file, ...(parent ? { parent } : {}) };
    let run = add(gate, undefined);
    for (const line of file.lines) {
      if (line.keyword === 'host' || line.keyword === 'match') {
        gate = { file: file.file, header: line, ...(parent ? { parent } : {}) };
        run = add(gate, literalNames(line));
      } else if (line.keyword === 'include') {
        for (const child of line.included ?? []) walk(child, gate);
        run = add(gate, literalNames(gate.header));
      } else {
        run.lines.push(line);
      }
    }
  };
  walk(tree, undefined);
  return index;
}

/** Ascending merge of two ascending lists. */
function merged(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

export function evaluateFor(tree: SshConfigFile | ConfigIndex, alias: string, options: EvaluateOptions): Evaluation {
  const index = 'runs' in tree ? tree : indexConfig(tree);
  const result: Evaluation = { values: new Map(), definitions: [], undecided: [] };
  const set = (keyword: string, value: SshValue) => {
    if (result.values.has(keyword)) return;
    // ssh ignores a ProxyCommand once a ProxyJump is set, and the other way round.
    if (keyword === 'proxycommand' && result.values.has('proxyjump')) return;
    if (keyword === 'proxyjump' && result.values.has('proxycommand')) return;
    result.values.set(keyword, value);
  };
  // A gate not visited is a Host line of other names: it does not apply.
  const active = new Map<Gate, boolean>();
  const decide = (gate: Gate): boolean => {
    const neverMatch = gate.parent ? !active.get(gate.parent) : false;
    const line = gate.header;
    if (!line) return !neverMatch;
    if (line.keyword === 'host') {
      if (line.args.includes(alias) && !/[*?]/.test(alias)) result.definitions.push({ file: gate.file, line: line.line, reachable: !neverMatch });
      return !neverMatch && hostMatches(line.args, alias);
    }
    const verdict = neverMatch ? false : matchLine(line.args, alias, result, options);
    if (verdict === 'undecided') result.undecided.push({ file: gate.file, line: line.line, criterion: line.args.join(' ') });
    return verdict === true;
  };
  for (const at of merged(index.always, index.byName.get(alias) ?? [])) {
    const run = index.runs[at]!;
    let on = active.get(run.gate);
    if (on === undefined) {
      on = decide(run.gate);
      active.set(run.gate, on);
    }
    if (!on) continue;
    for (const line of run.lines) set(line.keyword, { args: line.args, rest: line.rest, file: run.gate.file, line: line.line });
  }
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

/**
 * match_pattern (match.c): * any run, ? exactly one character. Matched by walking both strings,
 * going back only to the last `*` (so a pattern of many stars costs text × pattern at worst,
 * never the exponential backtracking a regular expression could take).
 */
export function matchPattern(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      mark = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
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

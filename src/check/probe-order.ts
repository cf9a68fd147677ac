// The order of lint --probe's SYNs: each TCP knock port once, arranged so that no sequence of
// any profile for that address appears among them in order (the server would act on it); where
// no order can avoid that, the probes split into rounds more than seq_timeout apart.
import type { Knock } from '../knock/tokens.js';

export interface ProbeOrder {
  /** Ports to probe, round by round. */
  rounds: number[][];
  /** Ports not probed: a one-knock TCP sequence, which the probe itself would send. */
  skipped: number[];
}

/** Bound on the search for a single round (orders tried), so a big store stays quick. */
const SEARCH_LIMIT = 50_000;

/** `sequences`: every open and close sequence of every profile at the address. */
export function orderProbes(ports: number[], sequences: Knock[][]): ProbeOrder {
  // Only all-TCP sequences can be formed by TCP probes; one that repeats a port cannot, since each port is probed once.
  const formable = sequences
    .filter((s) => s.length > 0 && s.every((k) => k.protocol === 'tcp'))
    .map((s) => s.map((k) => (k as { port: number }).port))
    .filter((s) => new Set(s).size === s.length);
  const skippedSet = new Set(formable.filter((s) => s.length === 1).map((s) => s[0]!));
  const relevant = formable.filter((s) => s.length > 1);
  const todo = [...new Set(ports)].filter((p) => !skippedSet.has(p)).sort((a, b) => b - a);
  const skipped = [...new Set(ports)].filter((p) => skippedSet.has(p));

  const single = searchOneRound(todo, relevant);
  if (single) return { rounds: todo.length ? [single] : [], skipped };
  const descending = greedyRounds(todo, relevant);
  const ascending = greedyRounds([...todo].reverse(), relevant);
  return { rounds: ascending.length < descending.length ? ascending : descending, skipped };
}

/** Whether `seq` occurs in `batch` in order (not necessarily adjacent). */
export function forms(batch: number[], seq: number[]): boolean {
  let i = 0;
  for (const port of batch) if (port === seq[i] && ++i === seq.length) return true;
  return false;
}

const safe = (batch: number[], sequences: number[][]) => !sequences.some((s) => forms(batch, s));

function searchOneRound(ports: number[], sequences: number[][]): number[] | undefined {
  let budget = SEARCH_LIMIT;
  const batch: number[] = [];
  const used = new Set<number>();
  const dfs = (): boolean => {
    if (batch.length === ports.length) return true;
    for (const port of ports) {
      if (used.has(port) || --budget < 0) continue;
      batch.push(port);
      if (safe(batch, sequences)) {
        used.add(port);
        if (dfs()) return true;
        used.delete(port);
      }
      batch.pop();
    }
    return false;
  };
  return dfs() ? batch : undefined;
}

function greedyRounds(ports: number[], sequences: number[][]): number[][] {
  const rounds: number[][] = [];
  let left = [...ports];
  while (left.length) {
    const round: number[] = [];
    for (const port of left) if (safe([...round, port], sequences)) round.push(port);
    rounds.push(round);
    left = left.filter((p) => !round.includes(p));
  }
  return rounds;
}

// The knock state machine as plain steps, one stage per knock, which each format renders in its
// own words (iptables `recent` lists, nftables sets). A source sits in at most one stage list.
import type { Knock } from '../knock/tokens.js';

export type Machine = 'open' | 'close';

/** A stage list: `open1` holds sources that sent the open sequence's first knock, and so on. */
export interface StageList {
  machine: Machine;
  stage: number;
}

/** The list of opened sources, which the open machine fills and the close machine empties. */
export type Target = { stage: StageList } | { opened: 'add' | 'remove' };

export type Step =
  /** The next knock, within seq_timeout of the last: move on (the last one opens or closes). */
  | { kind: 'advance'; knock: Knock; from: StageList; to: Target }
  /** The knock just seen, again (nc and nmap send two): keep the stage, change nothing. */
  | { kind: 'repeat'; knock: Knock; at: StageList }
  /** Anything else that looks like a knock: forget the stage (the packet may still start over). */
  | { kind: 'reset'; at: StageList }
  /** The first knock, from nowhere: the first stage. */
  | { kind: 'start'; knock: Knock; to: Target };

/**
 * The steps in the order a packet meets them: the highest stage first, so a packet moves a
 * source on at most once; `start` last, so a wrong knock that is the first knock starts over.
 */
export function machineSteps(machine: Machine, knocks: readonly Knock[]): Step[] {
  const n = knocks.length;
  const done: Target = { opened: machine === 'open' ? 'add' : 'remove' };
  const list = (stage: number): StageList => ({ machine, stage });
  const after = (stage: number): Target => (stage === n ? done : { stage: list(stage) });
  const steps: Step[] = [];
  for (let stage = n - 1; stage >= 1; stage--) {
    steps.push({ kind: 'advance', knock: knocks[stage]!, from: list(stage), to: after(stage + 1) });
    steps.push({ kind: 'repeat', knock: knocks[stage - 1]!, at: list(stage) });
    steps.push({ kind: 'reset', at: list(stage) });
  }
  steps.push({ kind: 'start', knock: knocks[0]!, to: after(1) });
  return steps;
}

/** Every stage list a sequence uses (a sequence of n knocks has n - 1; the last opens or closes). */
export function stageLists(machine: Machine, knocks: readonly Knock[]): StageList[] {
  return Array.from({ length: knocks.length - 1 }, (_, i) => ({ machine, stage: i + 1 }));
}

/** The IP packet length of an echo with `size` payload bytes, as `-m length` and nft `meta length` count it. */
export function icmpLength(size: number, family: 4 | 6): number {
  return size + (family === 6 ? 48 : 28);
}

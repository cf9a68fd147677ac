// knockd's sequence matching, per source address, as a pure state machine on a given clock.
//
// What knockd 0.8 does on every packet (sniff() in knockd.c), reproduced here:
// 1. Drop every attempt that completed, failed, or timed out. The timeout compares whole
//    seconds of packet timestamps: now_s - start_s >= seq_timeout.
// 2. If the source has attempts in progress (one per door it started), the packet either is
//    the next knock of an attempt (which advances) or kills that attempt. It never starts a
//    new one, even when it is the first knock of a door: after a wrong knock the sequence
//    must start again with the *next* packet.
// 3. Otherwise every door whose first knock this is starts an attempt at stage 1.
// Packets on ports that are in no door's sequence never reach knockd (its pcap filter), as
// they never reach knock serve (no listener).
//
// Unlike knockd, the work per knock does not grow with the number of sources in progress
// (knockd scans its whole list on every packet): a source's attempts all start with one
// packet, so sources kept in start order, one queue per seq_timeout, expire from the front.
// And their number is capped: past the cap the oldest source is dropped (a flood of spoofed
// first knocks can then push out a real one mid-sequence, as it would time out anyway).
import type { Door, PortProto } from './doors.js';

export interface KnockEvent {
  event: 'knock';
  src: string;
  proto: PortProto;
  port: number;
  /** The door this knock advanced, or null when it advanced none. */
  door: string | null;
  /** The stage that door reached (1-based), 0 when the knock advanced nothing. */
  stage: number;
  /** That door's sequence length, 0 when the knock advanced nothing. */
  of: number;
}

export interface ResetEvent {
  event: 'reset';
  src: string;
  door: string;
  /** The stage the attempt had reached. */
  stage: number;
  reason: 'wrong-knock' | 'timeout' | 'evicted';
}

export interface DoorEvent {
  event: 'open' | 'close';
  src: string;
  door: string;
}

export type MachineEvent = KnockEvent | ResetEvent | DoorEvent;

interface Attempt {
  door: Door;
  stage: number;
}

interface Source {
  src: string;
  attempts: Attempt[];
  /** Whole seconds (wall clock) of the first knock, like knockd's seq_start. */
  startSec: number;
}

const wholeSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Sources in progress tracked at most (about 300 bytes each). */
export const DEFAULT_MAX_SOURCES = 50_000;

export class KnockMachine {
  /** Sources with attempts in progress, in the order they started (Maps keep insertion order). */
  private readonly sources = new Map<string, Source>();
  /** For each seq_timeout of the doors: the sources with an attempt of that timeout, in start order. */
  private readonly byTimeout = new Map<number, Map<string, Source>>();

  constructor(
    private readonly doors: readonly Door[],
    private readonly maxSources = DEFAULT_MAX_SOURCES,
  ) {
    for (const door of doors) if (!this.byTimeout.has(door.seqTimeout)) this.byTimeout.set(door.seqTimeout, new Map());
  }

  /** One knock from `src` at wall-clock `nowMs`: the events it causes, in order. */
  knock(src: string, proto: PortProto, port: number, nowMs: number): MachineEvent[] {
    const events: MachineEvent[] = this.expire(nowMs);
    const knock: KnockEvent = { event: 'knock', src, proto, port, door: null, stage: 0, of: 0 };
    events.push(knock);
    const after: MachineEvent[] = [];
    const matches = (door: Door, stage: number) => door.sequence[stage]?.proto === proto && door.sequence[stage]?.port === port;
    const advance = (attempt: Attempt): boolean => {
      attempt.stage++;
      if (knock.door === null) Object.assign(knock, { door: attempt.door.name, stage: attempt.stage, of: attempt.door.sequence.length });
      if (attempt.stage < attempt.door.sequence.length) return true;
      after.push({ event: attempt.door.kind, src, door: attempt.door.name });
      return false;
    };

    const current = this.sources.get(src);
    if (current) {
      const next: Attempt[] = [];
      for (const attempt of current.attempts) {
        if (matches(attempt.door, attempt.stage)) {
          if (advance(attempt)) next.push(attempt);
        } else {
          after.push({ event: 'reset', src, door: attempt.door.name, stage: attempt.stage, reason: 'wrong-knock' });
        }
      }
      this.keep(current, next);
    } else {
      const next: Attempt[] = [];
      for (const door of this.doors) {
        if (!matches(door, 0)) continue;
        const attempt: Attempt = { door, stage: 0 };
        if (advance(attempt)) next.push(attempt);
      }
      if (next.length > 0) {
        events.push(...this.makeRoom());
        const source: Source = { src, attempts: next, startSec: wholeSeconds(nowMs) };
        this.sources.set(src, source);
        for (const attempt of next) this.byTimeout.get(attempt.door.seqTimeout)!.set(src, source);
      }
    }
    // Resets before opens: a knock that finishes one door and breaks another reads in that order.
    after.sort((a, b) => Number(b.event === 'reset') - Number(a.event === 'reset'));
    return [...events, ...after];
  }

  /** Attempts whose seq_timeout has passed at `nowMs`, removed and reported. */
  expire(nowMs: number): ResetEvent[] {
    const events: ResetEvent[] = [];
    const now = wholeSeconds(nowMs);
    for (const [timeout, queue] of this.byTimeout) {
      for (const source of queue.values()) {
        // Start order: the first source still in time ends this queue's expired ones.
        if (now - source.startSec < timeout) break;
        const alive = source.attempts.filter((attempt) => {
          if (attempt.door.seqTimeout !== timeout) return true;
          events.push({ event: 'reset', src: source.src, door: attempt.door.name, stage: attempt.stage, reason: 'timeout' });
          return false;
        });
        this.keep(source, alive);
      }
    }
    return events;
  }

  /** Wall-clock ms at which the earliest attempt in progress times out, if any. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const [timeout, queue] of this.byTimeout) {
      const first = queue.values().next();
      if (first.done) continue;
      const at = Math.ceil((first.value.startSec + timeout) * 1000);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** The attempts in progress for `src`: door name and stage reached. */
  progress(src: string): { door: string; stage: number }[] {
    return (this.sources.get(src)?.attempts ?? []).map((a) => ({ door: a.door.name, stage: a.stage }));
  }

  /** How many sources have attempts in progress. */
  get tracked(): number {
    return this.sources.size;
  }

  /** `source` goes on with `attempts` only; its queues and the source itself go when unused. */
  private keep(source: Source, attempts: Attempt[]): void {
    for (const gone of source.attempts) {
      if (!attempts.some((a) => a.door.seqTimeout === gone.door.seqTimeout)) this.byTimeout.get(gone.door.seqTimeout)!.delete(source.src);
    }
    source.attempts = attempts;
    if (attempts.length === 0) this.sources.delete(source.src);
  }

  /** At the cap, the source that started first is dropped for the new one. */
  private makeRoom(): ResetEvent[] {
    const events: ResetEvent[] = [];
    while (this.sources.size >= this.maxSources) {
      const oldest = this.sources.values().next().value!;
      for (const attempt of oldest.attempts) events.push({ event: 'reset', src: oldest.src, door: attempt.door.name, stage: attempt.stage, reason: 'evicted' });
      this.keep(oldest, []);
    }
    return events;
  }
}

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
  reason: 'wrong-knock' | 'timeout';
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
  /** Whole seconds (wall clock) of the first knock, like knockd's seq_start. */
  startSec: number;
}

const wholeSeconds = (ms: number): number => Math.floor(ms / 1000);

export class KnockMachine {
  private readonly attempts = new Map<string, Attempt[]>();

  constructor(private readonly doors: readonly Door[]) {}

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

    const current = this.attempts.get(src);
    const next: Attempt[] = [];
    if (current && current.length > 0) {
      for (const attempt of current) {
        if (matches(attempt.door, attempt.stage)) {
          if (advance(attempt)) next.push(attempt);
        } else {
          after.push({ event: 'reset', src, door: attempt.door.name, stage: attempt.stage, reason: 'wrong-knock' });
        }
      }
    } else {
      for (const door of this.doors) {
        if (!matches(door, 0)) continue;
        const attempt: Attempt = { door, stage: 0, startSec: wholeSeconds(nowMs) };
        if (advance(attempt)) next.push(attempt);
      }
    }
    // Resets before opens: a knock that finishes one door and breaks another reads in that order.
    after.sort((a, b) => Number(b.event === 'reset') - Number(a.event === 'reset'));
    if (next.length > 0) this.attempts.set(src, next);
    else this.attempts.delete(src);
    return [...events, ...after];
  }

  /** Attempts whose seq_timeout has passed at `nowMs`, removed and reported. */
  expire(nowMs: number): ResetEvent[] {
    const events: ResetEvent[] = [];
    const now = wholeSeconds(nowMs);
    for (const [src, list] of this.attempts) {
      const alive = list.filter((attempt) => {
        if (now - attempt.startSec < attempt.door.seqTimeout) return true;
        events.push({ event: 'reset', src, door: attempt.door.name, stage: attempt.stage, reason: 'timeout' });
        return false;
      });
      if (alive.length > 0) this.attempts.set(src, alive);
      else this.attempts.delete(src);
    }
    return events;
  }

  /** Wall-clock ms at which the earliest attempt in progress times out, if any. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const list of this.attempts.values()) {
      for (const a of list) {
        const at = Math.ceil((a.startSec + a.door.seqTimeout) * 1000);
        if (next === undefined || at < next) next = at;
      }
    }
    return next;
  }

  /** The attempts in progress for `src`: door name and stage reached. */
  progress(src: string): { door: string; stage: number }[] {
    return (this.attempts.get(src) ?? []).map((a) => ({ door: a.door.name, stage: a.stage }));
  }
}

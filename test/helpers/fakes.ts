// Fakes for the side effects the core takes as parameters: io, clock, transport, lookup, lock.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Clock, Timers } from '../../src/knock/clock.js';
import type { Io, OutStream } from '../../src/shared/io.js';
import type { Knock } from '../../src/knock/tokens.js';
import type { SshFs } from '../../src/ssh/include.js';
import type { Armed, Destination, Outcome, Shot, Transport } from '../../src/knock/transport/transport.js';
import { LockTimeoutError, type SequenceLock } from '../../src/knock/sequence-lock.js';

export class MemoryStream implements OutStream {
  text = '';
  isTTY = false;
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

export interface FakeIo extends Io {
  stdout: MemoryStream;
  stderr: MemoryStream;
}

/**
 * This very process, as a lock file names its holder: its pid must be alive, or another
 * acquisition would take the lock for a dead one's and break it.
 */
export const thisProcess = { pid: process.pid, hostname: os.hostname() };

/** The process's side of a fake Io, its temporary files under `home`. */
export function fakeProcess(home: string): Pick<Io, 'tmpdir' | 'user' | 'pid' | 'ppid' | 'hostname' | 'self'> {
  return {
    // The fake home, not the system's /tmp: a real lock made by mistake stays in the test's own tree.
    tmpdir: home,
    user: 'tester',
    ...thisProcess,
    ppid: () => 1,
    self: { node: process.execPath, script: path.join(home, 'bin', 'knock') },
  };
}

/** An Io with a temporary home (no ~/.ssh/config unless a test writes one) and no store. */
export function fakeIo(overrides: Partial<Io> = {}): FakeIo & { cleanup(): void } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'knock-unit-'));
  return {
    stdout: new MemoryStream(),
    stderr: new MemoryStream(),
    stdin: Readable.from([]),
    env: { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
    cwd: home,
    homedir: home,
    uid: process.getuid?.(),
    platform: 'linux',
    ...fakeProcess(home),
    ...overrides,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  } as FakeIo & { cleanup(): void };
}

/**
 * A clock that moves only when asked: sleep(ms) jumps ahead by ms, and every now() moves it
 * by `stepNs` so that a spin loop on it ends. Its timers (setTimer) fire only when a test
 * moves the clock past them with runUntil() or pass().
 */
export class FakeClock implements Clock, Timers {
  t = 1_000_000_000n;
  sleeps: number[] = [];
  private timers: { at: bigint; fn: () => void; live: boolean }[] = [];
  constructor(readonly stepNs = 10_000n) {}
  nowMs(): number {
    return Number(this.t) / 1e6;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + BigInt(Math.round(ms * 1e6)), fn, live: true };
    this.timers.push(timer);
    return () => (timer.live = false);
  }
  /** Timers set and neither fired nor cancelled. */
  pending(): number {
    return this.timers.filter((t) => t.live).length;
  }
  /** Fires the earliest pending timer (the clock jumps to it); false when none is pending. */
  private fireNext(limit?: bigint): boolean {
    const next = this.timers.filter((t) => t.live && (limit === undefined || t.at <= limit)).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))[0];
    if (!next) return false;
    next.live = false;
    if (next.at > this.t) this.t = next.at;
    next.fn();
    return true;
  }
  /**
   * Lets `promise` run, moving the clock from timer to timer only when everything else has
   * settled: what the code does in between happens at once. For code whose I/O is fake too
   * (a real socket's answer can come later than a turn of the event loop).
   */
  async runUntil<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    for (;;) {
      await settle();
      if (done) return watched;
      if (!this.fireNext()) throw new Error('FakeClock.runUntil: the promise waits on something no timer will end');
    }
  }
  /** Moves the clock by ms, firing the timers due meanwhile, in order, letting each one's work settle. */
  async pass(ms: number): Promise<void> {
    const end = this.t + BigInt(Math.round(ms * 1e6));
    await settle();
    while (this.fireNext(end)) await settle();
    if (end > this.t) this.t = end;
  }
  now(): bigint {
    const t = this.t;
    this.t += this.stepNs;
    return t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += BigInt(Math.round(ms * 1e6));
    await Promise.resolve();
  }
  advance(ms: number): void {
    this.t += BigInt(Math.round(ms * 1e6));
  }
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export interface FiredKnock {
  index: number;
  knock: Knock;
  to: Destination;
  at: bigint;
}

/**
 * Records what is armed, fired and cancelled. `sentGate(i)` returns a Deferred that holds
 * knock i's `sent` back until the test resolves it; otherwise `sent` resolves at once.
 */
export class FakeTransport implements Transport {
  armed: Knock[] = [];
  cancelled: number[] = [];
  fired: FiredKnock[] = [];
  private gates = new Map<number, Deferred>();
  failArmAt: number | undefined;
  outcome: Outcome = { result: 'sent' };

  constructor(private readonly clock: Clock) {}

  sentGate(index: number): Deferred {
    const gate = deferred();
    this.gates.set(index, gate);
    return gate;
  }

  async arm(knock: Knock, to: Destination): Promise<Armed> {
    const index = this.armed.length;
    if (this.failArmAt === index) throw new Error(`cannot arm knock ${index}`);
    this.armed.push(knock);
    return {
      cancel: () => this.cancelled.push(index),
      fire: (): Shot => {
        this.fired.push({ index, knock, to, at: this.clock.now() });
        const sent = this.gates.get(index)?.promise ?? Promise.resolve();
        return { sent, outcome: sent.then(() => this.outcome) };
      },
    };
  }
}

/** Lets pending promise callbacks and immediates run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** A SequenceLock that records who held it when, and can be made to time out. */
export class FakeLock implements SequenceLock {
  events: string[] = [];
  busy = false;
  timeout = false;
  async acquire(to: Destination, onWait?: () => void): Promise<() => void> {
    if (this.busy) onWait?.();
    if (this.timeout) throw new LockTimeoutError(to.address, 30);
    this.events.push(`acquire ${to.address}`);
    return () => this.events.push(`release ${to.address}`);
  }
}

/** An in-memory file tree for reading ssh configs: path -> text (a trailing '/' makes a directory), all owned by uid 1000, mode 0600 unless given. */
export function memorySshFs(files: Record<string, string>, owners: Record<string, { uid?: number; mode?: number }> = {}): SshFs & { reads: string[] } {
  const reads: string[] = [];
  const isDir = (p: string) => p in files ? p.endsWith('/') : Object.keys(files).some((f) => f.startsWith(p.replace(/\/?$/, '/')));
  const missing = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
  return {
    reads,
    async readFile(p) {
      reads.push(p);
      if (!(p in files)) throw missing(p);
      return files[p]!;
    },
    async stat(p) {
      if (!(p in files) && !isDir(p)) throw missing(p);
      return { uid: owners[p]?.uid ?? 1000, mode: owners[p]?.mode ?? 0o600, isDirectory: () => isDir(p), isFile: () => !isDir(p) };
    },
    async readdir(dir) {
      const prefix = dir.replace(/\/?$/, '/');
      const names = new Set<string>();
      for (const f of Object.keys(files)) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
      if (names.size === 0) throw missing(dir);
      return [...names].filter(Boolean);
    },
  };
}

/** A seeded pseudo-random source in [0, 1) (mulberry32): the same seed, the same inputs, on every machine. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

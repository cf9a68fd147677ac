// knock serve at run time: listeners feed knocks to the state machine; its events are reported,
// trigger the user's commands, and decide who the guard lets in. Every side effect is in ServeDeps.
import { prepareAction, shellRunner, type ActionRunner, type RunningAction } from './actions.js';
import { formatDoorKnock, inAnySequence, portsOf, toDoorKnock, type Door, type PortProto } from './doors.js';
import { claimOneTime } from '../store/one-time.js';
import { startGuard, type GuardEvent, type GuardSpec, type StartGuard } from './guard.js';
import { KnockMachine, type DoorEvent, type MachineEvent } from './knock-machine.js';
import { listenKnock, type Closable, type ListenKnock } from './listeners.js';
import { hostPort } from '../shared/address.js';
import type { Trust } from '../files/guard.js';
import type { LockHolder } from '../files/lock.js';

export interface ServeDeps {
  /** Wall-clock ms (knockd times sequences by packet timestamps, whole seconds). */
  wallMs(): number;
  /** Calls fn after ms; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  listenKnock: ListenKnock;
  startGuard: StartGuard;
  runAction: ActionRunner;
  /** Takes a one-time door's line and names the next (the list file's lock, trusted open, atomic replace). */
  claimOneTime: typeof claimOneTime;
}

export const systemServeDeps: ServeDeps = {
  wallMs: () => Date.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
  listenKnock,
  startGuard,
  runAction: shellRunner,
  claimOneTime,
};

export interface ServeConfig {
  doors: Door[];
  bind: string;
  onOpen?: string;
  onClose?: string;
  guard?: GuardSpec;
  env: NodeJS.ProcessEnv;
  /** Whose one-time lists are trusted (the Context's). */
  trust: Trust;
  /** Who takes a one-time list's lock (the Context's). */
  holder: LockHolder;
  /** Run the doors' own commands (knockd.conf's command/stop_command); otherwise each is only reported. */
  runDoorCommands?: boolean;
}

export type ActionKind = 'command' | 'stop_command' | 'on-open' | 'on-close';

export interface CommandEvent {
  event: 'command';
  src: string;
  door: string;
  action: ActionKind;
  command: string;
  /** False: a knockd.conf command reported as it would have run (no --run-commands). */
  ran: boolean;
  /** The exit code, when it ran. */
  code?: number;
}

export interface StoppedEvent {
  event: 'stopped';
}

export interface ListeningEvent {
  event: 'listening';
  bind: string;
  ports: string[];
  guard?: string;
}

export interface CmdTimeoutEvent {
  event: 'close';
  src: string;
  door: string;
  reason: 'cmd_timeout';
}

export type ServeEvent = (MachineEvent | CommandEvent | GuardEvent | ListeningEvent | CmdTimeoutEvent | StoppedEvent) & { time: string };
type Untimed<E> = E extends unknown ? Omit<E, 'time'> : never;

export class ServeSession {
  private readonly machine: KnockMachine;
  private readonly doorByName: Map<string, Door>;
  private readonly closables: Closable[] = [];
  private readonly running = new Set<RunningAction>();
  private readonly pendingStops = new Map<() => void, string>();
  private readonly opened = new Set<string>();
  private cancelExpiry: (() => void) | undefined;
  private stopped = false;
  private listening = false;

  constructor(
    private readonly config: ServeConfig,
    private readonly deps: ServeDeps,
    private readonly emitEvent: (event: ServeEvent) => void,
    private readonly warn: (message: string) => void,
    /** A line a command wrote, already labelled with the command it came from. */
    private readonly output: (line: string) => void = () => {},
  ) {
    this.machine = new KnockMachine(config.doors);
    this.doorByName = new Map(config.doors.map((d) => [d.name, d]));
  }

  /** Binds every knock port (and the guard); on any failure closes what was bound and throws. */
  async start(): Promise<void> {
    const ports = portsOf(this.config.doors);
    try {
      for (const k of ports) {
        this.closables.push(await this.deps.listenKnock(k, this.config.bind, (src) => this.knock(src, k.proto, k.port)));
      }
      if (this.config.guard) {
        this.closables.push(await this.deps.startGuard(this.config.guard, this.config.bind, (src) => this.isAllowed(src), (e) => this.emit(e)));
      }
    } catch (error) {
      await this.closeAll();
      throw error;
    }
    const guard = this.config.guard;
    this.listening = true;
    this.emit({
      event: 'listening',
      bind: this.config.bind,
      ports: ports.map(formatDoorKnock),
      ...(guard ? { guard: `${guard.port} -> ${hostPort(guard.targetHost, guard.targetPort)}` } : {}),
    });
  }

  /** Whether `src` completed an open sequence and has not closed it since. */
  isAllowed(src: string): boolean {
    return this.opened.has(src);
  }

  knock(src: string, proto: PortProto, port: number): void {
    if (this.stopped) return;
    // A one-time door listens on every line's ports; knockd sees only the current lines' ports.
    if (!inAnySequence(this.config.doors, proto, port)) return;
    this.handle(this.machine.knock(src, proto, port, this.deps.wallMs()));
    this.scheduleExpiry();
  }

  /** Closes every listener; commands still running are left to finish on their own. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.listening) this.emit({ event: 'stopped' });
    this.stopped = true;
    this.cancelExpiry?.();
    for (const [cancel, what] of this.pendingStops) {
      cancel();
      this.warn(`${what} not run: knock serve stopped before its cmd_timeout`);
    }
    this.pendingStops.clear();
    for (const action of this.running) action.release();
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    const all = this.closables.splice(0);
    await Promise.all(all.map((c) => c.close()));
  }

  private emit(event: Untimed<ServeEvent>): void {
    if (this.stopped && event.event !== 'listening') return;
    this.emitEvent({ time: new Date(this.deps.wallMs()).toISOString(), ...event } as ServeEvent);
  }

  private handle(events: MachineEvent[]): void {
    for (const event of events) {
      this.emit(event);
      if (event.event === 'open' || event.event === 'close') this.onDoor(event);
    }
  }

  /** Timeouts are also reported when no further knock comes (knockd notices them on the next packet). */
  private scheduleExpiry(): void {
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
    const at = this.machine.nextExpiryMs();
    if (at === undefined || this.stopped) return;
    this.cancelExpiry = this.deps.setTimer(() => {
      this.cancelExpiry = undefined;
      this.handle(this.machine.expire(this.deps.wallMs()));
      this.scheduleExpiry();
    }, Math.max(1, at - this.deps.wallMs()));
  }

  private onDoor(event: DoorEvent): void {
    const door = this.doorByName.get(event.door);
    if (!door) return;
    if (event.event === 'open') this.opened.add(event.src);
    else this.opened.delete(event.src);
    if (door.oneTime) this.nextOneTime(door, door.oneTime.file);
    if (door.command !== undefined) {
      const started = this.run(event.src, door, 'command', door.command);
      if (door.stopCommand !== undefined && started) {
        const stopCommand = door.stopCommand;
        void started.then(() => this.scheduleStop(event.src, door, stopCommand));
      }
    }
    const hook = event.event === 'open' ? this.config.onOpen : this.config.onClose;
    if (hook !== undefined) this.run(event.src, door, event.event === 'open' ? 'on-open' : 'on-close', hook);
  }

  /**
   * As knockd after a successful one-time knock: the line is disabled in the file ('#' in its
   * first byte) and the next unused line becomes the sequence. The door takes no knocks until then.
   */
  private nextOneTime(door: Door, file: string): void {
    door.sequence = [];
    void this.deps.claimOneTime(file, this.config.trust, this.config.holder).then(
      (claimed) => {
        if (this.stopped) return;
        door.sequence = claimed.next ? claimed.next.knocks.map(toDoorKnock) : [];
        if (!claimed.next) this.warn(`[${door.name}]: no more sequences left in ${file}: door disabled (as knockd does)`);
      },
      (error: unknown) => this.warn(`[${door.name}]: ${(error as Error).message}: door disabled`),
    );
  }

  /** knockd runs stop_command cmd_timeout seconds after command has finished. */
  private scheduleStop(src: string, door: Door, stopCommand: string): void {
    if (this.stopped) return;
    const cancel = this.deps.setTimer(() => {
      this.pendingStops.delete(cancel);
      if (door.kind === 'open') {
        this.opened.delete(src);
        this.emit({ event: 'close', src, door: door.name, reason: 'cmd_timeout' });
      }
      this.run(src, door, 'stop_command', stopCommand);
      if (door.kind === 'open' && this.config.onClose !== undefined) this.run(src, door, 'on-close', this.config.onClose);
    }, (door.cmdTimeout ?? 0) * 1000);
    this.pendingStops.set(cancel, `stop_command of [${door.name}] for ${src}`);
  }

  private run(src: string, door: Door, action: ActionKind, template: string): Promise<number> | undefined {
    let request;
    try {
      request = prepareAction(template, src, door.name, this.config.env);
    } catch (error) {
      this.warn(`${actionLabel(action, door.name)} for '${src}' not run: ${(error as Error).message}`);
      return undefined;
    }
    const fromDoor = action === 'command' || action === 'stop_command';
    if (fromDoor && !this.config.runDoorCommands) {
      this.emit({ event: 'command', src, door: door.name, action, command: request.command, ran: false });
      return Promise.resolve(0);
    }
    const label = `${actionLabel(action, door.name)} for ${src}`;
    const running = this.deps.runAction({ ...request, onOutput: (line) => this.output(`${label}: ${line}`) });
    this.running.add(running);
    return running.exit.then((code) => {
      this.running.delete(running);
      this.emit({ event: 'command', src, door: door.name, action, command: request.command, ran: true, code });
      return code;
    });
  }
}

/** How messages name a command: `--on-open`, or a knockd.conf section's `[openSSH] command`. */
export function actionLabel(action: ActionKind, door: string): string {
  return action === 'on-open' || action === 'on-close' ? `--${action}` : `[${door}] ${action}`;
}

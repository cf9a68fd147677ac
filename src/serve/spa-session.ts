// knock serve of an SPA profile: one UDP socket on the profile's SPA port; each datagram
// checked as fwknopd checks it (spa/check.ts); an accepted one opens for its allow address,
// runs --on-open, lets the guard through, and after the access timeout closes (--on-close),
// as fwknopd's FW_ACCESS_TIMEOUT removes its rule. Every side effect is in ServeDeps.
import { listenUdp, type Closable } from './listeners.js';
import { hostPort } from '../shared/address.js';
import { prepareAction, type RunningAction } from './actions.js';
import type { GuardSpec } from './guard.js';
import type { ServeDeps } from './session.js';
import { SpaChecker } from '../spa/check.js';
import type { SpaDigestType, SpaKeys } from '../spa/packet.js';

export interface SpaServeConfig {
  profile: string;
  bind: string;
  port: number;
  keys: SpaKeys;
  /** The HMAC's type, as fwknopd's HMAC_DIGEST_TYPE (the profile's hmac_digest_type). */
  hmacType?: SpaDigestType;
  openPorts: string[];
  /** s a grant lasts when the packet asks for none (FW_ACCESS_TIMEOUT). */
  accessTimeout: number;
  onOpen?: string;
  onClose?: string;
  guard?: GuardSpec;
  env: NodeJS.ProcessEnv;
}

/** Events as knock serve prints them (text or JSON): the packet's verdict, open, close, commands. */
export type SpaServeEvent = { time: string } & (
  | { event: 'listening'; bind: string; ports: string[]; guard?: string }
  | { event: 'spa'; src: string; door: string; result: 'accepted' | 'replay' | 'rejected'; reason?: string; allow?: string; access?: string[] }
  | { event: 'open' | 'close'; src: string; door: string }
  | { event: 'command'; src: string; door: string; action: 'on-open' | 'on-close'; command: string; ran: true; code: number }
  | { event: 'guard'; src: string; allowed: boolean; error?: string }
  | { event: 'stopped' }
);

type Untimed<E> = E extends unknown ? Omit<E, 'time'> : never;

/** A datagram's text for the log, never its bytes (they are the sender's, and may be anything). */
export function formatSpaEvent(e: SpaServeEvent): string {
  const t = e.time;
  switch (e.event) {
    case 'listening':
      return `${t} listening on ${e.bind}: ${e.ports.join(' ')} (SPA)${e.guard ? `; guard ${e.guard}` : ''}`;
    case 'spa':
      return e.result === 'accepted' ? `${t} spa ${e.src} accepted: ${(e.access ?? []).join(',')} for ${e.allow}` : `${t} spa ${e.src} ${e.result}: ${e.reason}`;
    case 'open':
      return `${t} open ${e.src} [${e.door}]`;
    case 'close':
      return `${t} close ${e.src} [${e.door}] (access timeout)`;
    case 'command':
      return `${t} ${e.action} for ${e.src} exited ${e.code}${e.code === 0 ? '' : ' (failed)'}: ${e.command}`;
    case 'guard':
      return `${t} guard ${e.src} ${e.allowed ? 'allowed' : 'denied'}${e.error ? `: ${e.error}` : ''}`;
    case 'stopped':
      return `${t} stopped: every listener closed`;
  }
}

export class SpaServeSession {
  private readonly checker: SpaChecker;
  /** allow address -> cancel of its close timer. */
  private readonly open = new Map<string, () => void>();
  private readonly closables: Closable[] = [];
  private readonly running = new Set<RunningAction>();

  constructor(
    private readonly config: SpaServeConfig,
    private readonly deps: ServeDeps,
    private readonly emit: (event: SpaServeEvent) => void,
    private readonly warn: (message: string) => void,
    private readonly commandOutput: (line: string) => void,
  ) {
    this.checker = new SpaChecker({ keys: config.keys, openPorts: config.openPorts, ...(config.hmacType ? { hmacType: config.hmacType } : {}) });
  }

  private say(event: Untimed<SpaServeEvent>): void {
    this.emit({ ...event, time: new Date(this.deps.wallMs()).toISOString() } as SpaServeEvent);
  }

  async start(): Promise<void> {
    const { bind, port } = this.config;
    this.closables.push(await listenUdp(bind, port, (src, payload) => this.onPacket(payload, src)));
    if (this.config.guard) {
      this.closables.push(await this.deps.startGuard(this.config.guard, bind, (src) => this.open.has(src), (e) => this.say(e)));
    }
    const guard = this.config.guard;
    this.say({ event: 'listening', bind, ports: [`udp/${port}`], ...(guard ? { guard: `${guard.port} -> ${hostPort(guard.targetHost, guard.targetPort)}` } : {}) });
  }

  onPacket(payload: Buffer, src: string): void {
    const verdict = this.checker.check(payload, Math.floor(this.deps.wallMs() / 1000));
    if (verdict.result !== 'accepted') {
      this.say({ event: 'spa', src, door: this.config.profile, result: verdict.result, reason: verdict.reason });
      return;
    }
    const { packet, allow } = verdict;
    this.say({ event: 'spa', src, door: this.config.profile, result: 'accepted', allow, access: packet.access });
    // A new grant for an address already open renews it, as a new fwknopd rule would outlast the old.
    this.open.get(allow)?.();
    const wasOpen = this.open.has(allow);
    const seconds = packet.clientTimeout > 0 ? packet.clientTimeout : this.config.accessTimeout;
    this.open.set(allow, this.deps.setTimer(() => this.close(allow), seconds * 1000));
    if (!wasOpen) {
      this.say({ event: 'open', src: allow, door: this.config.profile });
      this.run('on-open', this.config.onOpen, allow);
    }
  }

  private close(allow: string): void {
    if (!this.open.delete(allow)) return;
    this.say({ event: 'close', src: allow, door: this.config.profile });
    this.run('on-close', this.config.onClose, allow);
  }

  private run(action: 'on-open' | 'on-close', command: string | undefined, address: string): void {
    if (command === undefined) return;
    let request;
    try {
      request = prepareAction(command, address, this.config.profile, this.config.env);
    } catch (error) {
      this.warn((error as Error).message);
      return;
    }
    const running = this.deps.runAction({ ...request, onOutput: (line) => this.commandOutput(`${action} ${address}: ${line}`) });
    this.running.add(running);
    void running.exit.then((code) => {
      this.running.delete(running);
      this.say({ event: 'command', src: address, door: this.config.profile, action, command: request.command, ran: true, code });
    });
  }

  async stop(): Promise<void> {
    for (const cancel of this.open.values()) cancel();
    this.open.clear();
    await Promise.all(this.closables.splice(0).map((c) => c.close()));
    for (const r of this.running) r.release();
    this.say({ event: 'stopped' });
  }
}

// What every command handler gets: the process's io, the global options, and lazily loaded
// profile store and ssh config, so a command reads only what it needs.
import { loadStore } from '../store/load.js';
import type { Clock } from '../knock/clock.js';
import type { ExecuteOptions } from '../knock/execute.js';
import type { Io } from '../shared/io.js';
import { printable } from '../shared/printable.js';
import type { ProfileStore } from '../store/profiles.js';
import type { FamilyOption, Lookup } from '../knock/resolve.js';
import { lazySshConfig, type SshLookup } from '../ssh/lazy-config.js';
import { storePermissionWarning } from '../store/permissions.js';
import { brokenProfileMessage } from '../store/profiles.js';
import type { Trust } from '../files/guard.js';
import type { LockHolder } from '../files/lock.js';
import type { Transport } from '../knock/transport/transport.js';
import type { SequenceLock } from '../knock/sequence-lock.js';
import { machineOf, type InterfaceIndex, type Interfaces, type Machine } from '../shared/zone.js';

export interface GlobalArgs {
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  '4'?: boolean;
  '6'?: boolean;
}

/** Side effects below the command line, replaceable in tests. */
export interface Services {
  transport?: Transport;
  clock?: Clock;
  lookup?: Lookup;
  lock?: SequenceLock;
  /** This machine's network interfaces, for --source and an address's %zone. */
  interfaces?: Interfaces;
  /** An interface's index, for a zone given as one (fe80::1%2). */
  interfaceIndex?: InterfaceIndex;
}

export class Context {
  private storePromise: Promise<ProfileStore> | undefined;
  readonly ssh: SshLookup;

  constructor(
    readonly io: Io,
    readonly args: GlobalArgs,
    readonly services: Services = {},
  ) {
    this.ssh = lazySshConfig(io.homedir, io.uid, () => io.user);
  }

  /**
   * The profile store, read once. A broken profile does not block the others: each is named
   * in a warning, except `about`, the one the command itself is about (it reports it fully;
   * true: the command reports every broken profile itself).
   */
  store(about?: string | true): Promise<ProfileStore> {
    this.storePromise ??= loadStore(this.args.config, this.io, this.trust).then((store) => {
      const warning = store.file ? storePermissionWarning(store.file, this.io.platform) : undefined;
      if (warning) this.warn(warning);
      for (const [name, errors] of store.broken ?? []) {
        if (about === true || name === about) continue;
        this.warn(`${brokenProfileMessage(store.file ?? 'the profile store', name, errors)} (skipped; fix it, or knock remove ${name})`);
      }
      return store;
    });
    return this.storePromise;
  }

  /** Whose files knock trusts: the user's own and root's (see files/guard.ts). */
  get trust(): Trust {
    return { uid: this.io.uid, home: this.io.homedir };
  }

  /** Who takes lock files and writes temporary files: this process, on this host. */
  get holder(): LockHolder {
    return { pid: this.io.pid, hostname: this.io.hostname };
  }

  /** This machine's interfaces, as a %zone and --source read them. */
  machine(): Machine {
    return machineOf(this.services.interfaces, this.services.interfaceIndex);
  }

  /** The transport, clock and lock to send with: the services given, else the system's. */
  executeOptions(): ExecuteOptions {
    const { clock } = this.services;
    return {
      transport: this.transport(),
      ...(clock ? { clock } : {}),
      lock: this.sequenceLock(),
      onWait: (plan) => this.debug(`waiting: another knock sequence to ${plan.address} is under way`),
    };
  }

  private systemLock: SequenceLock | undefined;
  private system: Transport | undefined;

  /**
   * The transport to send with: the one given, else the system's (transport/system.ts), made
   * from this Context's io (its platform, PATH and pid), and loaded only when a knock needs it.
   */
  transport(): Transport {
    if (this.services.transport) return this.services.transport;
    return {
      arm: async (knock, to) => {
        if (!this.system) {
          const { systemTransport } = await import('../knock/transport/system.js');
          const { env, platform, pid } = this.io;
          this.system ??= systemTransport({ env, platform, pid });
        }
        return this.system.arm(knock, to);
      },
    };
  }

  /**
   * The per-address sequence lock: the one given, else the system's, made from this Context's
   * io (its environment, uid, temp directory and pid), and loaded only when a knock needs it.
   */
  private sequenceLock(): SequenceLock {
    if (this.services.lock) return this.services.lock;
    return {
      acquire: async (to, onWait) => {
        if (!this.systemLock) {
          const { systemSequenceLock } = await import('../knock/sequence-lock.js');
          const { env, uid, tmpdir, platform, pid } = this.io;
          this.systemLock ??= systemSequenceLock({ env, platform, uid, tmpdir, pid });
        }
        return this.systemLock.acquire(to, onWait);
      },
    };
  }

  /** One family (-4 wins when both are given: knock's own plans take both, see app/target.ts). */
  get family(): FamilyOption {
    return this.args['4'] ? 4 : this.args['6'] ? 6 : 0;
  }

  /** A result line on stdout (not with --json or -q). */
  out(line: string): void {
    if (!this.args.json && !this.args.quiet) this.io.stdout.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** A machine-readable result on stdout. */
  json(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value) + '\n');
  }

  /** A warning on stderr (not with -q). */
  warn(message: string): void {
    if (!this.args.quiet) this.io.stderr.write(`knock: warning: ${printable(message)}\n`);
  }

  /** A diagnostic on stderr, only with -v. */
  debug(message: string): void {
    if (this.args.verbose && !this.args.quiet) this.io.stderr.write(message.endsWith('\n') ? message : message + '\n');
  }
}

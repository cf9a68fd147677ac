// knock serve PROFILE | --knockd-conf FILE: a minimal knock server for trying profiles and clients.
import { spaAccessOf } from '../spa/profile.js';
import { KNOCKD_CONF_RULES, readGuardedText } from '../files/guard.js';
import net from 'node:net';
import { notOneHost } from '../shared/address.js';
import { scopedAddress, splitZone } from '../shared/zone.js';
import { printable } from '../shared/printable.js';
import { nodeStream } from '../shared/io.js';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../app/context.js';
import { ConfigError, UsageError } from '../shared/errors.js';
import { parseKnockdConf } from '../knockd/conf.js';
import { readOneTime, type OneTimeLine } from '../store/one-time.js';
import { doorsFromKnockdConf, doorsFromProfile, type DoorPlan } from '../serve/doors.js';
import { boundedEmitter } from '../serve/bounded-output.js';
import { formatEventText } from '../serve/events.js';
import { parseGuard } from '../serve/guard.js';
import { ServeSession, systemServeDeps, type ServeDeps } from '../serve/session.js';
import { defineCommand } from './command.js';
import { hostOfProfile } from '../app/find-profile.js';
import { resolveHost } from '../knock/resolve.js';
import type { Profile } from '../store/profiles.js';
import { formatSpaEvent, SpaServeSession } from '../serve/spa-session.js';

interface ServeArgs {
  profile?: string;
  bind: string;
  onOpen?: string;
  onClose?: string;
  guard?: string;
  knockdConf?: string;
  skipIcmp?: boolean;
  runCommands?: boolean;
}

/** Where serve waits for its end: SIGINT/SIGTERM by default, replaceable in tests. */
export type StopSignal = (stop: () => void) => () => void;

export const processSignals: StopSignal = (stop) => {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  };
};

async function loadDoors(args: ServeArgs & GlobalArgs, ctx: Context): Promise<{ plan: DoorPlan; what: string; profile?: Profile }> {
  if (args.knockdConf !== undefined) {
    if (args.profile !== undefined) throw new UsageError(`give a profile or --knockd-conf, not both ('${args.profile}' and ${args.knockdConf})`);
    if (args.skipIcmp) throw new UsageError('--skip-icmp applies to profiles; knockd.conf has no ICMP knocks');
    const file = path.resolve(ctx.io.cwd, args.knockdConf);
    const text = await readGuardedText(file, ctx.trust, KNOCKD_CONF_RULES);
    const conf = parseKnockdConf(text, file);
    // one_time_sequences paths are knockd's, relative to where it runs.
    const oneTime = new Map<string, { file: string; unused: OneTimeLine[] }>();
    for (const section of conf.sections) {
      const name = section.oneTimeSequences;
      if (name !== undefined && !oneTime.has(name)) {
        const state = await readOneTime(path.resolve(ctx.io.cwd, name), ctx.trust);
        if (state.warning) ctx.warn(state.warning);
        oneTime.set(name, state);
      }
    }
    return { plan: doorsFromKnockdConf(conf, oneTime), what: file };
  }
  if (args.profile === undefined) throw new UsageError('knock serve needs a PROFILE (or --knockd-conf FILE)');
  const store = await ctx.store();
  const profile = store.profiles.get(args.profile);
  if (!profile) {
    const names = [...store.profiles.keys()];
    const where = store.file ?? 'the profile store (none found)';
    throw new ConfigError(`no profile '${args.profile}' in ${where}${names.length ? ` (profiles: ${names.join(', ')})` : ''}`);
  }
  return { plan: doorsFromProfile(profile, { skipIcmp: Boolean(args.skipIcmp) }), what: `profile '${profile.name}'`, profile };
}

/**
 * serve listens on --bind; `knock PROFILE` knocks the profile's own host. When those differ, a
 * user trying the pair would knock elsewhere: say so, and how to knock this server instead.
 */
async function bindHint(ctx: Context, profile: Profile, bind: string): Promise<string | undefined> {
  if (bind === '0.0.0.0' || bind === '::') return undefined;
  const { host } = await hostOfProfile(profile, ctx.ssh);
  const address = net.isIP(host) ? host : await resolveHost(host, 0, ctx.services.lookup).then((r) => r.address, () => undefined);
  if (address === undefined || address === bind) return undefined;
  const via = address === host ? '' : ` (${address})`;
  return `profile '${profile.name}' knocks ${host}${via}, but this server listens on ${bind}: 'knock ${profile.name}' goes to ${host}, not here; to knock this server use 'knock ${bind} PORT...', or a profile with host: ${bind}`;
}

export function serveWith(deps: ServeDeps, signals: StopSignal) {
  return async (args: ServeArgs & GlobalArgs, ctx: Context): Promise<number> => {
    // fe80::1%2 listens on the interface of index 2, by its name; a zone naming none here is refused.
    if (splitZone(args.bind)) args.bind = scopedAddress(args.bind, ctx.machine());
    if (net.isIP(args.bind) === 0) throw new UsageError(`--bind '${printable(args.bind, 64)}' is not an IP address`);
    const notHost = notOneHost(args.bind);
    // 0.0.0.0 and :: mean every local address here, which is what a server may want.
    if (notHost && !/unspecified/.test(notHost)) throw new UsageError(`--bind ${args.bind} is ${notHost.split(':')[0]}: a knock server listens on an address of its own`);
    const guard = args.guard !== undefined ? parseGuard(args.guard) : undefined;
    if (args.runCommands && args.knockdConf === undefined) throw new UsageError('--run-commands runs the commands of a --knockd-conf file; --on-open/--on-close always run');
    // An SPA profile: fwknopd's checks on its SPA port, not a knock sequence.
    const spaProfile = args.knockdConf === undefined && args.profile !== undefined ? (await ctx.store()).profiles.get(args.profile) : undefined;
    if (spaProfile?.spa) return serveSpa(ctx, args, spaProfile, guard, deps, signals);
    const { plan, what, profile } = await loadDoors(args, ctx);
    for (const warning of plan.warnings) ctx.warn(warning);
    if (profile) {
      const hint = await bindHint(ctx, profile, args.bind);
      if (hint) ctx.warn(hint);
    }
    const commands = plan.doors.filter((d) => d.command !== undefined || d.stopCommand !== undefined).length;
    if (commands > 0 && !args.runCommands) {
      ctx.warn(`${what}: the commands of ${commands} section${commands === 1 ? '' : 's'} are printed as they would run, not run (they may change this machine's firewall); --run-commands runs them`);
    }

    const wiring = sessionWiring(ctx, args, guard, formatEventText);
    const session = new ServeSession(
      { doors: plan.doors, trust: ctx.trust, holder: ctx.holder, runDoorCommands: Boolean(args.runCommands), ...wiring.config },
      deps,
      wiring.emit,
      wiring.warn,
      wiring.commandOutput,
    );
    return serveUntilStopped(ctx, session, signals);
  };
}

/** Runs a session until a signal (or until stdout is gone), then stops it; exit 0. */
async function serveUntilStopped(ctx: Context, session: { start(): Promise<void>; stop(): Promise<void> }, signals: StopSignal): Promise<number> {
  // Signals first, so a SIGTERM during start-up is not the default (killing) action.
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const release = signals(() => stopRequested());
  // `knock serve ... | head`: once stdout is gone there is no one to report to; stop quietly.
  const stdout = nodeStream(ctx.io.stdout);
  const onStdoutError = () => stopRequested();
  stdout.on?.('error', onStdoutError);
  try {
    await session.start();
    await stopped;
  } finally {
    release();
    // Still listening for a gone stdout: stop() reports one last line.
    await session.stop();
    stdout.removeListener?.('error', onStdoutError);
  }
  return 0;
}

/** knock serve of an SPA profile: until a signal, as the knock doors are served. */
async function serveSpa(ctx: Context, args: ServeArgs & GlobalArgs, profile: Profile, guard: ReturnType<typeof parseGuard> | undefined, deps: ServeDeps, signals: StopSignal): Promise<number> {
  if (args.skipIcmp) throw new UsageError(`--skip-icmp applies to knock profiles; '${profile.name}' is an SPA profile`);
  const spa = profile.spa!;
  const hint = await bindHint(ctx, profile, args.bind);
  if (hint) ctx.warn(hint);
  const wiring = sessionWiring(ctx, args, guard, formatSpaEvent);
  const session = new SpaServeSession(
    {
      profile: profile.name,
      port: spa.port,
      keys: spa.keys,
      hmacType: spa.digests.hmac,
      openPorts: spaAccessOf(spa, profile),
      accessTimeout: profile.openFor ?? 30,
      ...wiring.config,
    },
    deps,
    wiring.emit,
    wiring.warn,
    wiring.commandOutput,
  );
  return serveUntilStopped(ctx, session, signals);
}

/**
 * What both kinds of serve session take from the command line and the Context: the bind address,
 * the environment and hooks for their commands, and where events, warnings and the commands'
 * output go (events bounded, so a stdout nobody reads cannot grow without end).
 */
function sessionWiring<E extends { event: string }>(
  ctx: Context,
  args: ServeArgs & GlobalArgs,
  guard: ReturnType<typeof parseGuard> | undefined,
  formatText: (event: E) => string,
) {
  return {
    config: {
      bind: args.bind,
      env: ctx.io.env,
      ...(args.onOpen !== undefined ? { onOpen: args.onOpen } : {}),
      ...(args.onClose !== undefined ? { onClose: args.onClose } : {}),
      ...(guard ? { guard } : {}),
    },
    emit: boundedEmitter<E>(
      // Node's stream: what is not read yet waits in it (and counts), not in write(2).
      nodeStream(ctx.io.stdout),
      (event: E) => (args.json ? ctx.json(event) : ctx.out(formatText(event))),
      (count) => ctx.warn(`${count} events not reported: stdout was not being read`),
    ),
    warn: (message: string) => ctx.warn(message),
    commandOutput: (line: string) => {
      if (!args.quiet) ctx.io.stderr.write(`${line}\n`);
    },
  };
}

export const serveCommand = defineCommand<ServeArgs>({
  examples: [
    ['knock serve office', "a local knockd-like server for office's sequences"],
  ],
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('profile', { type: 'string', describe: 'the profile whose open (and close) sequence to serve' })
      .option('bind', { type: 'string', default: '127.0.0.1', describe: 'address to listen on', requiresArg: true })
      .option('on-open', { type: 'string', describe: 'shell command run when a source completes the open sequence; %IP% is its address', requiresArg: true })
      .option('on-close', { type: 'string', describe: 'shell command run when a source completes the close sequence; %IP% is its address', requiresArg: true })
      .option('guard', { type: 'string', describe: 'PORT:TARGET_HOST:TARGET_PORT: forward PORT to the target only for sources that opened', requiresArg: true })
      .option('knockd-conf', { type: 'string', describe: "serve every section of a knockd.conf (its sequences, seq_timeout and commands)", requiresArg: true })
      .option('run-commands', { type: 'boolean', describe: "run the --knockd-conf file's command/stop_command (they may change the firewall); without it each is printed as it would run" })
      .option('skip-icmp', { type: 'boolean', describe: 'serve a profile with ICMP knocks without them (they cannot be received without raw sockets)' })
      .example('knock serve myserver --json', "print each knock on myserver's ports as JSON")
      .example("knock serve myserver --guard 2222:127.0.0.1:22", 'let ssh through port 2222 only after the open sequence'),
  run: serveWith(systemServeDeps, processSignals),
});

// knock proxy: knock, connect to the same address, then either hand the socket to ssh
// (ProxyUseFdpass) or carry the bytes ourselves, and leave a watchdog behind that closes the
// door however the session ends.
import type { Context } from '../app/context.js';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { executePlan, settledLater } from '../knock/execute.js';
import { formatKnock } from '../knock/tokens.js';
import { prepareTarget } from '../app/target.js';
import { notSentError, outcomeLine, sentLine, warnIfPingShowsSizes } from '../app/send-plan.js';
import { scheduleKnocks, type KnockPlan } from '../knock/plan.js';
import { connectFirstReady, connectWhenReady } from '../knock/ready.js';
import { hostPort } from '../shared/address.js';
import { nodeStream } from '../shared/io.js';
import { abortableClock, abortableTransport } from '../knock/abortable.js';
import type net from 'node:net';
import { connectionIdOf } from './connection-id.js';
import { detectMode, FdPassChannel, whyNoFdPass, type PassOptions, type ProxyMode } from './fd-pass.js';
import type { SelfCommand } from './self.js';
import { watchSshGone, type GoneOptions } from './ssh-gone.js';
import { startWatchdog, type Watchdog } from './watchdog.js';
import { sendSpaPlan, spaSentLine } from '../spa/plan.js';
import { isSpaPlan } from '../spa/kind.js';

export interface ProxyRequest {
  /** %n or %h: a profile name, a profile's host, or an ssh alias/HostName. */
  target: string;
  port: number;
  /** How long the port may take to accept after the last knock (ms). */
  connectTimeoutMs: number;
  self: SelfCommand;
  /** Replaceable in tests. */
  startWatchdog?: typeof startWatchdog;
  detectMode?: () => ProxyMode;
  pass?: PassOptions;
  gone?: Partial<GoneOptions>;
  /** Set by runProxy in fd-pass mode. */
  noRead?: boolean;
}

/** Socket buffer sizes on the data path: fewer, larger reads and writes per MiB. */
export const PROXY_HIGH_WATER_MARK = 1024 * 1024;

export async function runProxy(ctx: Context, request: ProxyRequest): Promise<number> {
  const prepared = await prepareTarget(ctx, { target: request.target, action: 'open', port: request.port, tcpService: 'ssh' });
  const { plan: openPlan, profile } = prepared;
  // A dual-stack host: every family knocked, the connection raced (-4 -6: the first address only).
  const openPlans = prepared.dualStack ? prepared.plans : [openPlan];
  // The close plans reuse the open plans' addresses: one resolution for the whole session.
  const closePlans: KnockPlan[] = profile?.close
    ? openPlans.map((p) => ({ ...p, action: 'close' as const, knocks: scheduleKnocks(profile.close!, profile.delay) }))
    : [];
  const closePlan = closePlans[0];
  const where = hostPort(openPlan.address, request.port);
  ctx.debug(`proxy: ${openPlan.profile ?? openPlan.target} -> ${openPlan.host === openPlan.address ? '' : `${openPlan.host} = `}${where}`);

  // The watchdog's ping shows its sizes too: one warning for both sequences.
  await warnIfPingShowsSizes(ctx, openPlan);
  if (closePlan) await warnIfPingShowsSizes(ctx, closePlan);

  const mode = chooseMode(ctx, request);
  // The watchdog comes first: a proxy killed in the middle of the open sequence still closes.
  // It holds every family knocked: the close goes to every address the open went to.
  let watchdog: Watchdog | undefined;
  if (closePlan) {
    // One watchdog for every family: knockd 0.8 loses another source's sequence in progress
    // when it clears a completed one at the head of its list, so the closes go one after the other.
    const dog = (request.startWatchdog ?? startWatchdog)(closePlans, { self: request.self, platform: ctx.io.platform, env: ctx.io.env });
    ctx.debug(`proxy: close watchdog ${dog.pid ?? '?'} armed for ${closePlans.map((each) => each.address).join(' then ')} (${closePlan.knocks.map(formatKnock).join(' ')})`);
    watchdog = dog;
  } else if (isSpaPlan(openPlan)) {
    // No watchdog: SPA has no close to send; the grant expires on the server.
    ctx.debug(`proxy: profile '${openPlan.profile}' is SPA: no close to send, no watchdog (the access expires on the server)`);
  } else {
    ctx.debug(`proxy: profile '${openPlan.profile}' has no close sequence; the door stays open`);
  }

  const channel = mode === 'fd-pass' ? new FdPassChannel(request.pass) : undefined;
  const gone = watchSshGone({ ppid: ctx.io.ppid, ...(channel ? { onChannelClosed: (f: () => void) => channel.onClosed(f) } : {}), ...request.gone });
  // Once ssh has gone, its terminal is no longer ours to write on: looked at as each line is
  // written, since the poll may not have noticed yet.
  const say = (line: string) => {
    if (!gone.gone()) ctx.debug(line);
  };
  try {
    const { socket, to } = await knockDualStack(ctx, openPlans, { ...request, noRead: Boolean(channel) }, gone.signal, say);
    gone.stop();
    say(`proxy: connected to ${hostPort(to.address, request.port)}${openPlans.length > 1 ? ` (IPv${to.family}; knocked ${openPlans.map((p) => `IPv${p.family}`).join(' and ')})` : ''}`);
    if (channel) {
      await handOver(socket, channel, watchdog);
      // Its node starts now (or as this process ends), not while we knocked and connected.
      watchdog?.start();
      say(`proxy: connection passed to ssh${watchdog ? '; the watchdog closes the door when it ends' : ''}`);
      return 0;
    }
    watchdog?.start();
    // Loaded only here: a proxy that passes the socket never evaluates the relay.
    const { relay } = await import('./relay.js');
    const result = await relay(socket, {
      input: ctx.io.stdin as NodeJS.ReadableStream & { destroy?(): void },
      output: nodeStream(ctx.io.stdout),
    });
    ctx.debug(`proxy: session ended (${result.end})`);
    if (result.end === 'connection-failed') {
      throw new RuntimeError(`connection to ${where} failed: ${reasonOf(result.error)}`);
    }
    return 0;
  } catch (error) {
    // Nobody is left to tell; the close knock goes now (finally).
    if (gone.signal.aborted) return 1;
    throw error;
  } finally {
    gone.stop();
    watchdog?.release();
  }
}

function chooseMode(ctx: Context, request: ProxyRequest): ProxyMode {
  const mode = (request.detectMode ?? detectMode)();
  if (mode === 'relay') return mode;
  const why = whyNoFdPass(request.pass, ctx.io.platform);
  if (why) {
    ctx.debug(`proxy: ssh wants the socket passed (ProxyUseFdpass), but ${why}: relaying instead`);
    return 'relay';
  }
  ctx.debug('proxy: ssh takes the socket (ProxyUseFdpass): knock, connect, pass it, exit');
  return mode;
}

/**
 * ssh sets no keepalive on a socket it is given (it does for its own): we do, with the
 * system's timers, as its TCPKeepAlive would. The watchdog learns which connection to watch
 * before ssh has it: if we die in between, our copy closes it, and the watchdog sees that.
 */
async function handOver(socket: net.Socket, channel: FdPassChannel, watchdog: Watchdog | undefined): Promise<void> {
  // A byte read here would never reach ssh (it reads the server's banner from the socket).
  if (socket.readableLength > 0) throw new RuntimeError('cannot pass the connection to ssh: knock read from it first (a bug)');
  socket.setKeepAlive(true);
  watchdog?.watch(connectionIdOf(socket));
  try {
    await channel.pass(socket);
  } catch (error) {
    socket.destroy();
    throw new RuntimeError(`cannot pass the connection to ssh: ${reasonOf(error)}`);
  }
}

/**
 * Fires the open sequence and starts connecting as soon as the last knock has left, without
 * waiting for the knocks' outcomes (a dropped TCP knock settles only after 150 ms).
 */
async function knockThenConnect(ctx: Context, plan: KnockPlan, request: ProxyRequest, signal: AbortSignal, say: (line: string) => void) {
  // The address is held until the connect has ended (see fireSequence), however it ends.
  const connect = settledLater();
  try {
    // An SPA profile: its one packet, then the same connect as after a knock sequence.
    const { sent, checked } = isSpaPlan(plan)
      ? (() => {
          const packet = sendSpaPlan(plan).then((done) => say(spaSentLine(plan, done)));
          return { sent: packet, checked: packet };
        })()
      : fireSequence(ctx, plan, signal, say, connect.settled);
    await sent;
    const connecting = connectWhenReady({ address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}) }, request.port, {
      windowMs: request.connectTimeoutMs,
      highWaterMark: PROXY_HIGH_WATER_MARK,
      noRead: request.noRead ?? false,
      signal,
      onRetry: (attempt, reason) => say(`proxy: connect attempt ${attempt} to ${hostPort(plan.address, request.port)}: ${reason}; retrying`),
    });
    const [, socket] = await Promise.all([checked, connecting]);
    return socket;
  } finally {
    connect.settle();
  }
}

/**
 * One plan's sequence, fired: `sent` settles as its last knock leaves (or arming failed:
 * then nothing was sent), `checked` with its report, rejected when a knock could not leave,
 * so that the session fails at once rather than after the connect window. The address stays
 * held until `connected` settles: another session's close waiting for it (its watchdog, as
 * `scp f door: && ssh door` ends one and starts the next) goes after our connect, which an
 * established connection outlives, not between our last knock and it.
 */
function fireSequence(
  ctx: Context,
  plan: KnockPlan,
  signal: AbortSignal,
  say: (line: string) => void,
  connected: Promise<void>,
): { sent: Promise<void>; checked: Promise<unknown> } {
  let lastSent!: () => void;
  const allSent = new Promise<void>((resolve) => (lastSent = resolve));
  const execute = ctx.executeOptions();
  const execution = executePlan(plan, {
    ...execute,
    // ssh gone half-way: the rest of the sequence stays unsent.
    transport: abortableTransport(execute.transport, signal),
    clock: abortableClock(execute.clock, signal),
    // -v lines as the knocks leave, before any connect attempt is told of.
    onSent: (i, knock, sentMs) => {
      say(sentLine(plan, i, knock, sentMs));
      if (i === plan.knocks.length - 1) lastSent();
    },
    onOutcome: (i, outcome) => say(outcomeLine(plan, i, outcome)),
    holdUntil: connected,
  });
  // Rejected later only by ssh going away, which the caller learns from the connect.
  execution.catch(() => {});
  const checked = execution.then((report) => {
    const unsent = notSentError(plan, report);
    if (unsent) throw unsent;
    return report;
  });
  checked.catch(() => {});
  return { sent: Promise.race([allSent, execution.then(() => {})]), checked };
}

/**
 * Every plan's sequence (one per family, each on its own address lock), one after the other;
 * once every last knock has left, the families race for the connection (connectFirstReady).
 * A single plan goes as knockThenConnect sends it.
 */
async function knockDualStack(ctx: Context, plans: readonly KnockPlan[], request: ProxyRequest, signal: AbortSignal, say: (line: string) => void) {
  if (plans.length === 1) {
    const plan = plans[0]!;
    const socket = await knockThenConnect(ctx, plan, request, signal, say);
    return { socket, to: { address: plan.address, family: plan.family } };
  }
  // One family's sequence after the other, never interleaved: knockd 0.8 drops every other
  // source's attempt in progress when it clears a completed attempt at the head of its list
  // (sniff() in knockd.c), so an IPv4 sequence under way when the IPv6 one completes is lost.
  const checks: Promise<unknown>[] = [];
  // Every family's address is held until the race for the connection has ended, however it ends.
  const connect = settledLater();
  try {
    for (const plan of plans) {
      const { sent, checked } = fireSequence(ctx, plan, signal, say, connect.settled);
      checks.push(checked);
      await sent;
    }
    return await connectAny(plans, request, signal, say, checks);
  } finally {
    connect.settle();
  }
}

/** The families' race for the connection (connectFirstReady), once every sequence has left. */
async function connectAny(plans: readonly KnockPlan[], request: ProxyRequest, signal: AbortSignal, say: (line: string) => void, checks: Promise<unknown>[]) {
  const connecting = connectFirstReady(
    plans.map((plan) => ({ address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}) })),
    request.port,
    {
      windowMs: request.connectTimeoutMs,
      highWaterMark: PROXY_HIGH_WATER_MARK,
      noRead: request.noRead ?? false,
      signal,
      onStart: (to) => say(`proxy: connecting to ${hostPort(to.address, request.port)} (IPv${to.family})`),
      onRetry: (attempt, reason) => say(`proxy: connect attempt ${attempt}: ${reason}; retrying`),
    },
  );
  const [, won] = await Promise.all([Promise.all(checks), connecting]);
  return won;
}

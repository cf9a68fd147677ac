// knock proxy: knock, connect to the same address, carry the bytes, and leave a watchdog
// behind that closes the door however the session ends.
import type { Context } from '../app/context.js';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { executePlan } from '../knock/execute.js';
import { formatKnock } from '../knock/tokens.js';
import { prepareTarget } from '../app/target.js';
import { notSentError, outcomeLine, sentLine, warnIfPingShowsSizes } from '../app/send-plan.js';
import { scheduleKnocks, type KnockPlan } from '../knock/plan.js';
import { connectWhenReady, hostPort } from '../knock/ready.js';
import { relay } from './relay.js';
import type { SelfCommand } from './self.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

export interface ProxyRequest {
  /** %n or %h: a profile name, a profile's host, or an ssh alias/HostName. */
  target: string;
  port: number;
  /** How long the port may take to accept after the last knock (ms). */
  connectTimeoutMs: number;
  self: SelfCommand;
  /** Replaceable in tests. */
  startWatchdog?: typeof startWatchdog;
}

/** Socket buffer sizes on the data path: fewer, larger reads and writes per MiB. */
export const PROXY_HIGH_WATER_MARK = 1024 * 1024;

export async function runProxy(ctx: Context, request: ProxyRequest): Promise<number> {
  const { plan: openPlan, profile } = await prepareTarget(ctx, { target: request.target, action: 'open', port: request.port });
  // The close plan reuses the open plan's address: one resolution for the whole session.
  const closePlan: KnockPlan | undefined = profile?.close
    ? { ...openPlan, action: 'close', knocks: scheduleKnocks(profile.close, profile.delay) }
    : undefined;
  const where = hostPort(openPlan.address, request.port);
  ctx.debug(`proxy: ${openPlan.profile ?? openPlan.target} -> ${openPlan.host === openPlan.address ? '' : `${openPlan.host} = `}${where}`);

  // The watchdog's ping shows its sizes too: one warning for both sequences.
  warnIfPingShowsSizes(ctx, openPlan);
  if (closePlan) warnIfPingShowsSizes(ctx, closePlan);

  // The watchdog comes first: a proxy killed in the middle of the open sequence still closes.
  let watchdog: Watchdog | undefined;
  if (closePlan) {
    watchdog = (request.startWatchdog ?? startWatchdog)(closePlan, { self: request.self, verbose: Boolean(ctx.args.verbose) });
    ctx.debug(`proxy: close watchdog ${watchdog.pid ?? '?'} armed (${closePlan.knocks.map(formatKnock).join(' ')})`);
  } else {
    ctx.debug(`proxy: profile '${openPlan.profile}' has no close sequence; the door stays open`);
  }

  try {
    const socket = await knockThenConnect(ctx, openPlan, request);
    ctx.debug(`proxy: connected to ${where}`);
    const result = await relay(socket, {
      input: ctx.io.stdin as NodeJS.ReadableStream & { destroy?(): void },
      output: ctx.io.stdout as unknown as NodeJS.WritableStream,
    });
    ctx.debug(`proxy: session ended (${result.end})`);
    if (result.end === 'connection-failed') {
      throw new RuntimeError(`connection to ${where} failed: ${reasonOf(result.error)}`);
    }
    return 0;
  } finally {
    watchdog?.release();
  }
}

/**
 * Fires the open sequence and starts connecting as soon as the last knock has left, without
 * waiting for the knocks' outcomes (a dropped TCP knock settles only after 150 ms).
 */
async function knockThenConnect(ctx: Context, plan: KnockPlan, request: ProxyRequest) {
  let lastSent!: () => void;
  const allSent = new Promise<void>((resolve) => (lastSent = resolve));
  const execution = executePlan(plan, {
    ...ctx.executeOptions(),
    // -v lines as the knocks leave, before any connect attempt is told of.
    onSent: (i, knock, sentMs) => {
      ctx.debug(sentLine(plan, i, knock, sentMs));
      if (i === plan.knocks.length - 1) lastSent();
    },
    onOutcome: (i, outcome) => ctx.debug(outcomeLine(plan, i, outcome)),
  });
  // executePlan fails only before the first packet (arming); then nothing was sent.
  await Promise.race([allSent, execution]);
  const connecting = connectWhenReady({ address: plan.address, family: plan.family }, request.port, {
    windowMs: request.connectTimeoutMs,
    highWaterMark: PROXY_HIGH_WATER_MARK,
    onRetry: (attempt, reason) => ctx.debug(`proxy: connect attempt ${attempt} to ${hostPort(plan.address, request.port)}: ${reason}; retrying`),
  });
  // A knock that could not leave fails the session at once, not after the connect window.
  const checked = execution.then((report) => {
    const unsent = notSentError(plan, report);
    if (unsent) throw unsent;
    return report;
  });
  const [, socket] = await Promise.all([checked, connecting]);
  return socket;
}


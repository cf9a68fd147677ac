// knock TARGET, knock HOST KNOCK... (knock(1) style), knock open TARGET, knock close TARGET.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../app/context.js';
import { prepareTarget, takeOneTime, type PreparedTarget } from '../app/target.js';
import { isGroupTarget } from '../store/groups.js';
import { sendPlan, type SendResult } from '../app/send-plan.js';
import { settledLater } from '../knock/execute.js';
import { planWait, waitOptions, waitUntilOpen, type WaitArgs } from '../app/wait-open.js';
import { defineCommand } from './command.js';
import { parseDelayOption, parseTtlOption } from './options.js';
import { splitKnockList } from '../knock/tokens.js';
import { COMMAND_NAMES } from '../app/command-names.js';
import { fs } from '../files/fs-calls.js';
import path from 'node:path';
import { ConfigError, UsageError, reasonOf } from '../shared/errors.js';
import { ONE_TIME_LOW } from '../store/one-time.js';

interface KnockArgs extends WaitArgs {
  target?: string;
  knocks?: string[];
  udp?: boolean;
  delay?: number;
  ttl?: number;
  source?: string;
  dryRun?: boolean;
}

export function knockOptions(yargs: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return yargs
    .option('ttl', {
      type: 'string',
      coerce: parseTtlOption,
      describe: 'IP TTL (IPv6 hop limit) of every knock (overrides the profile)',
      requiresArg: true,
    })
    .option('source', {
      type: 'string',
      coerce: (value: unknown) => String(Array.isArray(value) ? value.at(-1) : value),
      describe: 'send every knock from this local ADDRESS or INTERFACE (overrides the profile)',
      requiresArg: true,
    })
    .option('delay', {
      alias: 'd',
      type: 'string',
      coerce: parseDelayOption,
      describe: 'ms from the start of one knock to the start of the next (overrides the profile)',
      requiresArg: true,
    })
    .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print the plan (address, knocks, offsets) and send nothing' });
}

async function checkConfigFile(file: string, cwd: string): Promise<void> {
  const where = path.resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = (await fs.stat(where)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `config file not found: ${where} (from --config)` : `${where}: cannot read: ${reasonOf(error)} (from --config)`);
  }
  if (!isFile) throw new ConfigError(`${where}: not a regular file (from --config)`);
}

/** `action` undefined: the default command, which also takes ad-hoc knocks. */
async function runKnock(action: 'open' | 'close' | undefined, args: KnockArgs & GlobalArgs & { _?: unknown[] }, ctx: Context): Promise<number> {
  // yargs takes a negative number for a positional: `knock -5 host 80` must not knock "-5".
  if (args.target?.startsWith('-')) throw new UsageError(`unknown option ${args.target} (see knock --help)`);
  // Words after `--` land in `_` (after the command's own name): they are knocks, never dropped.
  const rest = (args._ ?? []).map(String).slice(action ? 1 : 0);
  if (rest.length > 0 && action) throw new UsageError(`unexpected argument '${rest[0]}': knock ${action} takes a profile name only`);
  // `knock -- HOST 80`: the target itself came after `--`.
  const target = args.target ?? rest.shift() ?? '';
  // knockd's `7000,8000:udp,9000` too, as pasted from its config.
  const tokens = splitKnockList([...(args.knocks ?? []).map(String), ...rest]);
  if (tokens.length > 0) {
    // `knock --config HOST 1111 2222`: the host went to --config; 1111 is no host to knock.
    if (/^\d+$/.test(target)) throw new UsageError(`'${target}' is a port, not a host: knock HOST KNOCK... (is the host the value of an option before it?)`);
    // Ad hoc the store is not read, but a --config that names no store is still a mistake.
    if (ctx.args.config !== undefined) await checkConfigFile(ctx.args.config, ctx.io.cwd);
  }
  if (isGroupTarget(target)) {
    if (tokens.length > 0) throw new UsageError(`${target} is a group: it takes no knocks`);
    if (args.wait !== undefined) throw new UsageError(`--wait takes one profile, not the group ${target}`);
    // Loaded only for a group: one target's path has no use for it.
    const { prepareGroup, sendGroup } = await import('../app/group.js');
    const prepared = await prepareGroup(ctx, {
      name: target.slice(1),
      action: action ?? 'open',
      dryRun: Boolean(args.dryRun),
      ...(args.delay !== undefined ? { delay: args.delay } : {}),
    });
    const code = await sendGroup(ctx, prepared, Boolean(args.dryRun));
    for (const p of prepared) reportOneTime(ctx, p);
    return code;
  }
  const prepared = await prepareTarget(ctx, {
    target,
    action: action ?? 'open',
    ...(action ? {} : { adHoc: { commands: COMMAND_NAMES } }),
    ...(tokens.length ? { tokens } : {}),
    ...(args.udp ? { udp: true } : {}),
    ...(args.delay !== undefined ? { delay: args.delay } : {}),
    ...(args.ttl !== undefined ? { ttl: args.ttl } : {}),
    ...(args.source !== undefined ? { source: args.source } : {}),
    ...(args.dryRun ? { dryRun: true } : {}),
    // A one-time line is taken only after --wait too has been validated.
    peek: true,
  });
  // An SPA profile has no close: say so (exit 0: nothing is left to do on this side).
  if (prepared.spaClose) return reportSpaClose(ctx, prepared);
  const wait = planWait(args, prepared.port, prepared.profile?.portProtocol);
  const ready = args.dryRun ? prepared : await takeOneTime(prepared);
  const { plan, plans } = ready;
  // With --json and --wait, the objects wait for the wait's result (on the first plan's address).
  const holdJson = Boolean(ctx.args.json && wait && !args.dryRun);
  const sent: SendResult[] = [];
  // --wait: each address stays held until the wait has ended, as the proxy's connect holds it:
  // another session's close waiting for it goes after, not between our last knock and the wait.
  const waited = wait && !args.dryRun ? settledLater() : undefined;
  try {
    // Both families: each sequence whole, IPv4 then IPv6, each on its own schedule.
    for (const each of plans) sent.push(await sendPlan(ctx, each, { dryRun: Boolean(args.dryRun), holdJson, ...(waited ? { holdUntil: waited.settled } : {}) }));
    reportOneTime(ctx, ready);
    if (!args.dryRun) {
      await waitUntilOpen(ctx, ready.dualStack ? plans : plan, wait, (result) => sent.forEach(({ json }, i) => json && ctx.json(i === 0 ? { ...json, wait: result } : json)));
    }
  } finally {
    waited?.settle();
  }
  return 0;
}

/** `knock close` of an SPA profile: nothing is sent; the line (or JSON) says why. */
export function reportSpaClose(ctx: Context, prepared: PreparedTarget): number {
  if (ctx.args.json) ctx.json({ action: 'close', profile: prepared.plan.profile, kind: 'spa', sent: false, note: prepared.spaClose });
  else ctx.out(prepared.spaClose ?? '');
  return 0;
}

/** Which one-time line went (or would go), on stderr; a warning when the list runs low. */
function reportOneTime(ctx: Context, prepared: PreparedTarget): void {
  const t = prepared.oneTime;
  if (!t) return;
  const who = prepared.plan.profile;
  if (!t.taken) {
    ctx.debug(`${who}: next one-time sequence: line ${t.line} of ${t.file} (not used by a dry run; ${t.left} more after it)`);
    return;
  }
  ctx.debug(`${who}: one-time sequence: line ${t.line} of ${t.file} marked used; ${t.left} left`);
  if (t.left < ONE_TIME_LOW) ctx.warn(`${who}: ${t.left === 0 ? 'that was the last one-time sequence' : `${t.left} one-time sequence${t.left === 1 ? '' : 's'} left`} in ${t.file}`);
}

export const defaultCommand = defineCommand<KnockArgs>({
  takesRest: true,
  builder: (yargs) =>
    waitOptions(knockOptions(yargs))
      .positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias; or a HOST for ad-hoc knocks' })
      .positional('knocks', { type: 'string', array: true, describe: 'ad-hoc knocks: PORT, PORT:tcp, PORT:udp, icmp, icmp:SIZE' })
      .option('udp', { alias: 'u', type: 'boolean', describe: 'bare ports in ad-hoc knocks are UDP (an explicit :tcp still wins)' }),
  run: (args, ctx) => runKnock(undefined, args, ctx),
});

export const openCommand = defineCommand<KnockArgs>({
  examples: [
    ['knock open office --wait 22 && ssh office', 'knock, then wait until port 22 accepts'],
    ['knock open office -n', 'the plan only: where each knock goes, and when; sends nothing'],
  ],
  takesRest: true,
  builder: (yargs) => waitOptions(knockOptions(yargs)).positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias' }),
  run: (args, ctx) => runKnock('open', args, ctx),
});

export const closeCommand = defineCommand<KnockArgs>({
  examples: [['knock close office', "fire office's close sequence"]],
  takesRest: true,
  builder: (yargs) => knockOptions(yargs).positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias' }),
  run: (args, ctx) => runKnock('close', args, ctx),
});

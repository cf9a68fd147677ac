// knock TARGET, knock HOST KNOCK... (knock(1) style), knock open TARGET, knock close TARGET.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../app/context.js';
import { UsageError } from '../shared/errors.js';
import { prepareTarget } from '../app/target.js';
import { sendPlan } from '../app/send-plan.js';
import { planWait, waitOptions, waitUntilOpen, type WaitArgs } from '../app/wait-open.js';
import { defineCommand } from './command.js';

interface KnockArgs extends WaitArgs {
  target?: string;
  knocks?: string[];
  udp?: boolean;
  delay?: number;
  dryRun?: boolean;
}

/** -d MS, read as typed: yargs' own number parsing turns "abc" into NaN and "" into 0. */
export function parseDelayOption(value: unknown): number {
  const text = String(Array.isArray(value) ? value.at(-1) : value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`-d/--delay '${text}' is not a number of milliseconds >= 0`);
  return Number(text);
}

export function knockOptions(yargs: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return yargs
    .option('delay', {
      alias: 'd',
      type: 'string',
      coerce: parseDelayOption,
      describe: 'ms from the start of one knock to the start of the next (overrides the profile)',
      requiresArg: true,
    })
    .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print the plan (address, knocks, offsets) and send nothing' });
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
  const tokens = [...(args.knocks ?? []).map(String), ...rest];
  const { plan, port } = await prepareTarget(ctx, {
    target,
    action: action ?? 'open',
    ...(tokens.length ? { tokens } : {}),
    ...(args.udp ? { udp: true } : {}),
    ...(args.delay !== undefined ? { delay: args.delay } : {}),
  });
  const wait = planWait(args, port);
  // With --json and --wait, one object says both what was sent and how the wait ended.
  const holdJson = Boolean(ctx.args.json && wait && !args.dryRun);
  const { json } = await sendPlan(ctx, plan, { dryRun: Boolean(args.dryRun), holdJson });
  if (!args.dryRun) await waitUntilOpen(ctx, plan, wait, (result) => json && ctx.json({ ...json, wait: result }));
  return 0;
}

export const defaultCommand = defineCommand<KnockArgs>({
  command: '$0 [target] [knocks..]',
  describe: 'knock a profile, or HOST with the given knocks (like knock(1))',
  builder: (yargs) =>
    knockOptions(yargs)
      .positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias; or a HOST for ad-hoc knocks' })
      .positional('knocks', { type: 'string', array: true, describe: 'ad-hoc knocks: PORT, PORT:tcp, PORT:udp, icmp, icmp:SIZE' })
      .option('udp', { alias: 'u', type: 'boolean', describe: 'bare ports in ad-hoc knocks are UDP (an explicit :tcp still wins)' }),
  run: (args, ctx) => runKnock(undefined, args, ctx),
});

export const openCommand = defineCommand<KnockArgs>({
  command: 'open <target>',
  describe: "fire the profile's open sequence",
  builder: (yargs) => waitOptions(knockOptions(yargs)).positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias' }),
  run: (args, ctx) => runKnock('open', args, ctx),
});

export const closeCommand = defineCommand<KnockArgs>({
  command: 'close <target>',
  describe: "fire the profile's close sequence",
  builder: (yargs) => knockOptions(yargs).positional('target', { type: 'string', describe: 'profile name, its host, or an ssh alias' }),
  run: (args, ctx) => runKnock('close', args, ctx),
});

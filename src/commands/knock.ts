// knock TARGET, knock HOST KNOCK... (knock(1) style), knock open TARGET, knock close TARGET.
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from '../context.js';
import { prepareTarget } from '../knock-target.js';
import type { PlanAction } from '../plan.js';
import { sendPlan } from '../send-plan.js';
import { planWait, waitOptions, waitUntilOpen, type WaitArgs } from '../proxy/wait-open.js';
import { defineCommand } from './command.js';

interface KnockArgs extends WaitArgs {
  target?: string;
  knocks?: string[];
  udp?: boolean;
  delay?: number;
  dryRun?: boolean;
}

export function knockOptions(yargs: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return yargs
    .option('delay', { alias: 'd', type: 'number', describe: 'ms from the start of one knock to the start of the next (overrides the profile)', requiresArg: true })
    .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print the plan (address, knocks, offsets) and send nothing' });
}

async function runKnock(action: PlanAction, args: KnockArgs & GlobalArgs, ctx: Context): Promise<number> {
  const { plan, port } = await prepareTarget(ctx, {
    target: args.target ?? '',
    action,
    ...(args.knocks ? { tokens: args.knocks.map(String) } : {}),
    ...(args.udp ? { udp: true } : {}),
    ...(args.delay !== undefined ? { delay: args.delay } : {}),
  });
  const wait = planWait(args, port);
  await sendPlan(ctx, plan, { dryRun: Boolean(args.dryRun) });
  if (!args.dryRun) await waitUntilOpen(ctx, plan, wait);
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
  run: (args, ctx) => runKnock('open', args, ctx),
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

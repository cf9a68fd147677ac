// Turns a target (profile or ad-hoc host with knocks) into a validated, resolved plan.
import type { Context } from './context.js';
import { ConfigError, RuntimeError, UsageError } from '../shared/errors.js';
import { checkDelay, checkSequence, parseKnockToken, type Knock } from '../knock/tokens.js';
import { scheduleKnocks, type KnockPlan, type PlanAction } from '../knock/plan.js';
import { brokenProfileMessage, type Profile } from '../store/profiles.js';
import { resolveHost } from '../knock/resolve.js';
import { findProfile, hostOfProfile } from './find-profile.js';

export interface TargetRequest {
  target: string;
  action: PlanAction;
  /** Ad-hoc knock tokens (knock(1) style); absent: the profile's sequence. */
  tokens?: string[];
  /** -u: bare ports in ad-hoc tokens are UDP. */
  udp?: boolean;
  /** -d: overrides the profile's delay. */
  delay?: number;
}

export interface PreparedTarget {
  plan: KnockPlan;
  profile?: Profile;
  /** The service port from the profile or ~/.ssh/config, if any. */
  port?: number;
}

export async function requireProfile(ctx: Context, target: string): Promise<Profile> {
  const store = await ctx.store(target);
  const errors = store.broken?.get(target);
  if (errors) throw new ConfigError(brokenProfileMessage(store.file ?? 'the profile store', target, errors));
  const profile = await findProfile(store, target, ctx.ssh);
  if (profile) return profile;
  const where = store.file ? ` in ${store.file}` : ' (no profile store found; see knock add, or --config)';
  throw new ConfigError(`unknown profile '${target}'${where}; for ad-hoc use give knocks: knock HOST PORT...`);
}

/** Validates everything and resolves the address once; sends nothing. */
export async function prepareTarget(ctx: Context, request: TargetRequest): Promise<PreparedTarget> {
  const { target, action } = request;
  if (!target) throw new UsageError('missing target: a profile name, or HOST KNOCK... for ad-hoc use');
  const delay = request.delay === undefined ? undefined : checkDelay(request.delay, '-d/--delay');
  if (request.tokens?.length) {
    if (action === 'close') throw new UsageError('close takes a profile name, not knocks');
    const knocks = request.tokens.map((t) => parseKnockToken(String(t), request.udp ? 'udp' : 'tcp'));
    const viaSsh = await ctx.ssh.lookup(target);
    const host = viaSsh?.hostName ?? target;
    return { plan: await plan(ctx, { action, target, host, knocks, delay: delay ?? 0 }), ...(viaSsh?.port ? { port: viaSsh.port } : {}) };
  }
  const profile = await requireProfile(ctx, target);
  const knocks = action === 'close' ? profile.close : profile.open;
  if (!knocks) {
    const { file } = await ctx.store();
    throw new ConfigError(`profile '${profile.name}' has no close sequence${file ? ` in ${file}` : ''}`);
  }
  const { host, port } = await hostOfProfile(profile, ctx.ssh);
  const knockPlan = await plan(ctx, {
    action,
    target,
    host,
    knocks,
    delay: delay ?? profile.delay,
    profile: profile.name,
    seqTimeout: profile.seqTimeout,
  }).catch((error: unknown) => {
    // The host was only the profile's name: say so, since that is what to fix.
    if (error instanceof RuntimeError && !profile.host && host === profile.name) {
      throw new RuntimeError(`${error.message} (profile '${profile.name}' has no host, and ${ctx.ssh.file} gives it no HostName)`);
    }
    throw error;
  });
  return { plan: knockPlan, profile, ...(port !== undefined ? { port } : {}) };
}

interface PlanInput {
  action: PlanAction;
  target: string;
  host: string;
  knocks: Knock[];
  delay: number;
  profile?: string;
  seqTimeout?: number;
}

async function plan(ctx: Context, input: PlanInput): Promise<KnockPlan> {
  checkSequence(input.knocks, input.delay, input.profile ? `profile '${input.profile}'` : undefined);
  const resolved = await resolveHost(input.host, ctx.family, ctx.services.lookup);
  const result: KnockPlan = {
    action: input.action,
    target: input.target,
    host: input.host,
    address: resolved.address,
    family: resolved.family,
    knocks: scheduleKnocks(input.knocks, input.delay),
  };
  if (input.profile) result.profile = input.profile;
  if (input.seqTimeout) result.seqTimeout = input.seqTimeout;
  return result;
}

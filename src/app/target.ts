// Turns a target (profile or ad-hoc host with knocks) into a validated, resolved plan.
import type { Context } from './context.js';
import { ConfigError, RuntimeError, UsageError } from '../shared/errors.js';
import { checkDelay, checkSequence, checkTtl, parseKnockToken, type Knock } from '../knock/tokens.js';
import { scheduleKnocks, type KnockPlan, type PlanAction } from '../knock/plan.js';
import { brokenProfileMessage, formatServicePort, type Profile } from '../store/profiles.js';
import { resolveEveryFamily, resolveHost, type FamilyOption } from '../knock/resolve.js';
import { localSource } from '../knock/source.js';
import { isIP } from '../shared/ip.js';
import { scopedAddress, splitZone } from '../shared/zone.js';
import { UnreadableSshConfig } from '../ssh/unreadable.js';
import { printable } from '../shared/printable.js';
import { findProfile, hostOfProfile } from './find-profile.js';
import { nearest } from '../shared/suggest.js';
import { claimOneTime, exhausted, readOneTime } from '../store/one-time.js';
import type { SpaPlan } from '../spa/plan.js';
import type { Trust } from '../files/guard.js';
import type { LockHolder } from '../files/lock.js';

export interface TargetRequest {
  target: string;
  action: PlanAction;
  /** Ad-hoc knock tokens (knock(1) style); absent: the profile's sequence. */
  tokens?: string[];
  /** -u: bare ports in ad-hoc tokens are UDP. */
  udp?: boolean;
  /** -d: overrides the profile's delay. */
  delay?: number;
  /** The service port asked for (proxy's %p): picks among several profiles of one host. */
  port?: number;
  /** The default command: an unknown name may have been meant as a host with knocks, or a subcommand. */
  adHoc?: { commands: readonly string[] };
  /**
   * A one_time_sequences profile: plan its next unused line without using it (--dry-run, lint,
   * a group before every member is resolved). Otherwise the line is taken (marked used on disk)
   * once everything else has been validated and resolved, before anything is sent.
   */
  peek?: boolean;
  /** --ttl: overrides the profile's ttl. */
  ttl?: number;
  /** --source: overrides the profile's source (an address or an interface name). */
  source?: string;
  /** What connects after the knock over TCP (`ssh`): a profile whose service is UDP is refused. */
  tcpService?: string;
  /** --dry-run: a name that does not resolve here (a VPN's) still gets its plan, marked unresolved. */
  dryRun?: boolean;
}

export interface ProfileLookup {
  port?: number;
  adHoc?: { commands: readonly string[] };
}

export interface PreparedTarget {
  /** The first of `plans`: the address a connection after the knock goes to. */
  plan: KnockPlan;
  /** One plan per family knocked (-4 -6, or `family: both`: IPv4 first, then IPv6). */
  plans: KnockPlan[];
  profile?: Profile;
  /** The service port from the profile or ~/.ssh/config, if any. */
  port?: number;
  /** The gap the plan was scheduled with. */
  delay: number;
  /**
   * No family asked for (no -4/-6, no `family`) and the host has both: `plans` holds one per
   * family, the resolver's first first, and a connection after the knock races them (knockDualStack).
   */
  dualStack?: boolean;
  /** The one-time line this open sends: taken (marked used) or, with peek, only the next one. */
  oneTime?: { file: string; line: number; left: number; taken: boolean };
  /** `knock close` of an SPA profile: nothing to send (`plans` is empty); this says so. */
  spaClose?: string;
  /** Whose one-time lists are trusted (the Context's), for the claim. */
  trust: Trust;
  /** Who takes the list's lock (the Context's). */
  holder: LockHolder;
}

export async function requireProfile(ctx: Context, target: string, lookup: ProfileLookup = {}): Promise<Profile> {
  const store = await ctx.store(target);
  const errors = store.broken?.get(target);
  if (errors) throw new ConfigError(brokenProfileMessage(store.file ?? 'the profile store', target, errors));
  const profile = await findProfile(store, target, ctx.ssh, lookup.port);
  if (profile) return profile;
  const where = store.file ? ` in ${store.file}` : ' (no profile store found; see knock add, or --config)';
  const commands = lookup.adHoc?.commands ?? [];
  const guess = nearest(target, [...commands, ...store.profiles.keys()]);
  const hint = guess === undefined ? '' : commands.includes(guess) ? `; did you mean knock ${guess}?` : `; did you mean ${guess}?`;
  const adHoc = lookup.adHoc && guess === undefined ? '; for ad-hoc use give knocks: knock HOST PORT...' : '';
  throw new ConfigError(`unknown profile '${target}'${where}${hint}${adHoc}`);
}

/** ssh connects over TCP: a profile whose service is UDP is refused (exit 2) before anything is sent. */
export function requireTcpService(profile: Profile, who: string): void {
  if (profile.portProtocol !== 'udp' || profile.port === undefined) return;
  throw new UsageError(`profile '${profile.name}': service ${formatServicePort(profile.port, profile.portProtocol)} is UDP; ${who} needs TCP`);
}

/** Validates everything and resolves the address once; sends nothing. */
export async function prepareTarget(ctx: Context, request: TargetRequest): Promise<PreparedTarget> {
  const { target, action } = request;
  if (!target) throw new UsageError('missing target: a profile name, or HOST KNOCK... for ad-hoc use');
  const delay = request.delay === undefined ? undefined : checkDelay(request.delay, '-d/--delay');
  const ttl = request.ttl === undefined ? undefined : checkTtl(request.ttl, '--ttl');
  const packet = (profile?: Profile): PacketOptions => {
    const options: PacketOptions = { families: familiesOf(ctx, profile), ...(request.dryRun ? { dryRun: true } : {}) };
    const t = ttl ?? profile?.ttl;
    const source = request.source ?? profile?.source;
    if (t !== undefined) options.ttl = t;
    if (source !== undefined) options.source = source;
    return options;
  };
  if (request.tokens?.length) {
    if (action === 'close') throw new UsageError('close takes a profile name, not knocks');
    const knocks = request.tokens.map((t) => parseKnockToken(String(t), request.udp ? 'udp' : 'tcp'));
    const viaSsh = await ctx.ssh.lookup(target).catch((error: unknown) => {
      // ssh skips a config file it cannot read; for a literal address nothing else is needed.
      if (!(error instanceof UnreadableSshConfig) || isIP(target.replace(/^\[(.*)\]$/, '$1')) === 0) throw error;
      ctx.debug(`knock: ${printable(error.file)} cannot be read: skipped, as ssh skips it (${printable(target, 64)} is an address)`);
      return undefined;
    });
    const host = viaSsh?.hostName ?? target;
    const plans = await plan(ctx, { action, target, host, knocks, delay: delay ?? 0, ...packet() });
    return { plan: plans[0]!, plans, delay: delay ?? 0, trust: ctx.trust, holder: ctx.holder, ...(viaSsh?.port ? { port: viaSsh.port } : {}), ...dualStackOf(plans, familiesOf(ctx)) };
  }
  // ssh's Port only tells apart profiles that share a host: a profile's own name needs no ~/.ssh/config.
  const named = (await ctx.store(target)).profiles.has(target);
  const port = request.port ?? (named ? undefined : (await ctx.ssh.lookup(target))?.port);
  const profile = await requireProfile(ctx, target, { ...(port !== undefined ? { port } : {}), ...(request.adHoc ? { adHoc: request.adHoc } : {}) });
  if (request.tcpService !== undefined) requireTcpService(profile, request.tcpService);
  if (profile.spa) return prepareSpa(ctx, request, profile, ttl, port);
  const oneTime = action === 'open' && profile.oneTimeSequences !== undefined ? await readOneTime(profile.oneTimeSequences, ctx.trust) : undefined;
  if (oneTime?.warning) ctx.warn(oneTime.warning);
  if (oneTime && !oneTime.unused[0]) throw exhausted(oneTime.file);
  const knocks = action === 'close' ? profile.close : (oneTime?.unused[0]?.knocks ?? profile.open);
  if (!knocks) {
    const { file } = await ctx.store();
    throw new ConfigError(`profile '${profile.name}' has no close sequence${file ? ` in ${file}` : ''}`);
  }
  const { host, port: servicePort } = await hostOfProfile(profile, ctx.ssh);
  const plans = await plan(ctx, {
    action,
    target,
    host,
    knocks,
    delay: delay ?? profile.delay,
    profile: profile.name,
    seqTimeout: profile.seqTimeout,
    ...packet(profile),
    // The host was only the profile's name: say so, since that is what to fix.
    ...(!profile.host && host === profile.name ? { unresolvedHint: ` (profile '${profile.name}' has no host, and ${ctx.ssh.file} gives it no HostName)` } : {}),
  });
  const prepared: PreparedTarget = { plan: plans[0]!, plans, profile, delay: delay ?? profile.delay, trust: ctx.trust, holder: ctx.holder, ...(servicePort !== undefined ? { port: servicePort } : {}), ...dualStackOf(plans, familiesOf(ctx, profile)) };
  if (oneTime) prepared.oneTime = { file: oneTime.file, line: oneTime.unused[0]!.line, left: oneTime.unused.length - 1, taken: false };
  return request.peek ? prepared : takeOneTime(prepared);
}

/**
 * For a one-time open planned with peek: takes the first unused line now (it is marked used
 * on disk before this returns) and plans that line, which is the peeked one unless another
 * run took it meanwhile. Anything else comes back as it was.
 */
export async function takeOneTime(prepared: PreparedTarget): Promise<PreparedTarget> {
  const file = prepared.profile?.oneTimeSequences;
  if (!file || prepared.plan.action !== 'open' || prepared.oneTime?.taken) return prepared;
  const claimed = await claimOneTime(file, prepared.trust, prepared.holder);
  const plans = prepared.plans.map((p) => ({ ...p, knocks: scheduleKnocks(claimed.taken.knocks, prepared.delay) }));
  return {
    ...prepared,
    plan: plans[0]!,
    plans,
    oneTime: { file: claimed.file, line: claimed.taken.line, left: claimed.left, taken: true },
  };
}

/** -4 and -6 together, or `family: both`: both families; one flag wins over the profile. */
function familiesOf(ctx: Context, profile?: Profile): FamilyOption[] {
  const v4 = Boolean(ctx.args['4']);
  const v6 = Boolean(ctx.args['6']);
  if (v4 || v6) return v4 && v6 ? [4, 6] : [v4 ? 4 : 6];
  const family = profile?.family;
  return family === 'both' ? [4, 6] : family ? [family] : [0];
}

interface PacketOptions {
  families: FamilyOption[];
  ttl?: number;
  source?: string;
  dryRun?: boolean;
}

interface PlanInput extends PacketOptions {
  action: PlanAction;
  target: string;
  host: string;
  knocks: Knock[];
  delay: number;
  profile?: string;
  seqTimeout?: number;
  /** Said after "cannot resolve ...": what to fix when the name does not resolve. */
  unresolvedHint?: string;
}

/** One plan per family, each resolved, its source checked, before anything is sent. */
async function plan(ctx: Context, input: PlanInput): Promise<KnockPlan[]> {
  checkSequence(input.knocks, input.delay, input.profile ? `profile '${input.profile}'` : undefined);
  // A zone Node would not take as one (fe80::1%, fe80::1%%) is refused here, not looked up as a name.
  if (splitZone(input.host)) scopedAddress(input.host, ctx.machine());
  const plans: KnockPlan[] = [];
  let resolvedAll: Awaited<ReturnType<typeof resolveFamilies>>;
  try {
    resolvedAll = await resolveFamilies(ctx, input.host, input.families);
  } catch (error) {
    // A dry run previews a host this machine cannot resolve now (one behind a VPN): the plan
    // with the name, said to be unresolved. A real run still fails here, before any packet.
    if (!(error instanceof RuntimeError)) throw error;
    const reason = `${error.message}${input.unresolvedHint ?? ''}`;
    if (!input.dryRun) throw input.unresolvedHint ? new RuntimeError(reason) : error;
    return [unresolvedPlan(ctx, input, reason)];
  }
  for (const resolved of resolvedAll) {
    // fe80::1%2 knocks through the interface of index 2, named (as the socket takes a zone);
    // fe80::1%eth9, a zone that names no interface here, would be ignored by the socket: refused.
    resolved.address = scopedAddress(resolved.address, ctx.machine());
    const result: KnockPlan = {
      action: input.action,
      target: input.target,
      host: input.host,
      address: resolved.address,
      family: resolved.family,
      knocks: scheduleKnocks(input.knocks, input.delay),
    };
    if (input.source !== undefined) result.source = localSource(input.source, resolved.family, ctx.machine());
    if (input.ttl !== undefined) result.ttl = input.ttl;
    if (input.profile) result.profile = input.profile;
    if (input.seqTimeout) result.seqTimeout = input.seqTimeout;
    plans.push(result);
  }
  return plans;
}

/** The dry run's plan for a name that did not resolve: everything else checked as usual. */
function unresolvedPlan(ctx: Context, input: PlanInput, reason: string): KnockPlan {
  const asked = input.families.filter((f): f is 4 | 6 => f !== 0);
  const family = asked.length === 1 && asked[0] === 6 ? 6 : 4;
  const result: KnockPlan = {
    action: input.action,
    target: input.target,
    host: input.host,
    address: '',
    unresolved: reason,
    family,
    knocks: scheduleKnocks(input.knocks, input.delay),
  };
  if (input.source !== undefined) result.source = sourceOfEitherFamily(ctx, input.source, asked);
  if (input.ttl !== undefined) result.ttl = input.ttl;
  if (input.profile) result.profile = input.profile;
  if (input.seqTimeout) result.seqTimeout = input.seqTimeout;
  ctx.warn(`${reason}; the plan shows the name (a real run resolves it first, and fails if it still cannot)`);
  return result;
}

/** --source checked without an address to match: it must be local in one of the families that may be knocked. */
function sourceOfEitherFamily(ctx: Context, source: string, asked: readonly (4 | 6)[]): string {
  const families = asked.length > 0 ? asked : ([4, 6] as const);
  let failure: unknown;
  for (const family of families) {
    try {
      return localSource(source, family, ctx.machine());
    } catch (error) {
      failure ??= error;
    }
  }
  throw failure;
}

/**
 * Each family asked for, resolved; with no family asked for ([0]), every family the host has
 * (resolveEveryFamily: a dual-stack host's door may guard either family).
 */
async function resolveFamilies(ctx: Context, host: string, families: FamilyOption[]) {
  if (families.length !== 1 || families[0] !== 0) {
    const each = [];
    for (const family of families) each.push(await resolveHost(host, family, ctx.services.lookup));
    return each;
  }
  return resolveEveryFamily(host, ctx.services.lookup);
}

function dualStackOf(plans: readonly KnockPlan[], asked: readonly FamilyOption[]): { dualStack?: true } {
  return asked.length === 1 && asked[0] === 0 && plans.length === 2 ? { dualStack: true } : {};
}

/**
 * An SPA profile: one packet to the host's IPv4 address (fwknopd is IPv4 only: -6, an IPv6
 * literal or a host with no IPv4 address is refused here, before anything is sent). A close
 * has nothing to send: the access expires on the server.
 */
async function prepareSpa(ctx: Context, request: TargetRequest, profile: Profile, ttl: number | undefined, askedPort: number | undefined): Promise<PreparedTarget> {
  // Loaded only for an SPA profile: a knock's path has no use for it.
  const { defaultSpaUser, planSpaPacket, spaCloseNote, spaNeedsIpv4 } = await import('../spa/plan.js');
  const settings = profile.spa!;
  const { host, port: servicePort } = await hostOfProfile(profile, ctx.ssh);
  const base = { action: request.action, target: request.target, host, address: host, family: 4 as const, knocks: [], profile: profile.name };
  if (request.action === 'close') return { plan: base, plans: [], profile, delay: 0, trust: ctx.trust, holder: ctx.holder, spaClose: spaCloseNote(profile.name, settings) };
  if (ctx.args['6'] && !ctx.args['4']) throw spaNeedsIpv4(profile.name, host, 'was asked for with -6');
  const literal = isIP(host.replace(/^\[(.*)\]$/, '$1'));
  if (literal === 6) throw spaNeedsIpv4(profile.name, host, 'is an IPv6 address');
  const resolved = await resolveHost(host, 4, ctx.services.lookup).catch((error: unknown) => {
    if (error instanceof RuntimeError && /has no IPv4 address/.test(error.message)) throw spaNeedsIpv4(profile.name, host, 'has no IPv4 address');
    throw error;
  });
  const sourceText = request.source ?? profile.source;
  const source = sourceText === undefined ? undefined : localSource(sourceText, 4, ctx.machine());
  const packet = await planSpaPacket({
    settings,
    address: resolved.address,
    servicePort: servicePort ?? askedPort ?? 22,
    serviceProtocol: profile.portProtocol ?? 'tcp',
    defaultUser: defaultSpaUser(ctx.io.env, () => ctx.io.user),
    ...(source !== undefined ? { source } : {}),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  const plan: SpaPlan = { ...base, address: resolved.address, spa: packet };
  if (source !== undefined) plan.source = source;
  const t = ttl ?? profile.ttl;
  if (t !== undefined) plan.ttl = t;
  return { plan, plans: [plan], profile, delay: 0, trust: ctx.trust, holder: ctx.holder, ...(servicePort !== undefined ? { port: servicePort } : {}) };
}

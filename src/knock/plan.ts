// A knock plan: the resolved address and every knock with its offset, as plain data.
// It is what --dry-run and --json print, and what execute() sends.
import { formatKnock, payloadBytes, type Knock } from './tokens.js';

export type PlanAction = 'open' | 'close' | 'knock';

export type PlannedKnock = Knock & {
  /** ms after the first knock at which this one leaves. */
  offsetMs: number;
};

export interface KnockPlan {
  action: PlanAction;
  profile?: string;
  /** What the user typed. */
  target: string;
  /** The name that was resolved. */
  host: string;
  /** '' when `unresolved`. */
  address: string;
  /** A dry run only: why the name did not resolve here; the plan shows the name instead. */
  unresolved?: string;
  family: 4 | 6;
  /** The address every knock leaves from (bound before sending), when one was asked for. */
  source?: string;
  /** IP TTL (IPv6 hop limit) of every knock, when one was asked for. */
  ttl?: number;
  knocks: PlannedKnock[];
  /** The server's window (s), when a profile says it. */
  seqTimeout?: number;
}

/**
 * Offsets are absolute: knock i leaves at the sum of the delays before it. A knock's own
 * `delay` is the gap after it; `delay` is the gap after every other knock.
 */
export function scheduleKnocks(knocks: readonly Knock[], delay: number): PlannedKnock[] {
  let offset = 0;
  return knocks.map((knock) => {
    const planned = { ...knock, offsetMs: offset };
    offset += knock.delay ?? delay;
    return planned;
  });
}

/** How long the sequence takes from first to last knock. */
export function planDurationMs(plan: Pick<KnockPlan, 'knocks'>): number {
  return plan.knocks.at(-1)?.offsetMs ?? 0;
}

/** "1 knock", "3 knocks". */
export function countKnocks(n: number): string {
  return `${n} knock${n === 1 ? '' : 's'}`;
}

export function describeKnock(knock: Knock): string {
  if (knock.protocol === 'icmp') return `icmp echo, ${knock.size} bytes`;
  if (knock.connect) return `tcp ${knock.port}, full handshake then close`;
  if (knock.protocol === 'udp' && knock.payload !== undefined) {
    const n = payloadBytes(knock.payload).length;
    return `udp ${knock.port}, ${n} byte${n === 1 ? '' : 's'} ${knock.payload}`;
  }
  return `${knock.protocol} ${knock.port}`;
}

/** " from 198.18.0.1, TTL 3": what the plan asks of every packet, for the plan's first line. */
function packetOptions(plan: KnockPlan): string {
  return `${plan.source ? ` from ${plan.source}` : ''}${plan.ttl !== undefined ? `, ${plan.family === 6 ? 'hop limit' : 'TTL'} ${plan.ttl}` : ''}`;
}

/** The plan as --dry-run prints it. */
export function formatPlan(plan: KnockPlan): string {
  // Not "knock: ...": on a terminal that reads as one of our error lines.
  const who = plan.profile ? `${plan.action} ${plan.profile}` : 'ad-hoc knocks';
  // Ad hoc, the target may be an ssh alias: show each name once on the way to the address.
  const names = plan.profile ? [plan.host, plan.address] : [plan.target, plan.host, plan.address];
  const via = names.filter((name, i) => name !== '' && names.indexOf(name) === i).join(' -> ');
  const family = plan.unresolved !== undefined ? 'not resolved' : `IPv${plan.family}`;
  const lines = [`${who}: ${via} (${family})${packetOptions(plan)}, ${countKnocks(plan.knocks.length)} over ${planDurationMs(plan)} ms`];
  for (const [i, knock] of plan.knocks.entries()) {
    lines.push(`  ${String(i + 1).padStart(2)}. +${String(knock.offsetMs).padStart(5)} ms  ${formatKnock(knock).padEnd(11)} ${describeKnock(knock)}`);
  }
  return lines.join('\n') + '\n';
}

/** The plan as JSON, with tokens for easy reading and round-tripping. */
export function planToJson(plan: KnockPlan): Record<string, unknown> {
  return {
    action: plan.action,
    ...(plan.profile ? { profile: plan.profile } : {}),
    target: plan.target,
    host: plan.host,
    ...(plan.unresolved !== undefined ? { address: null, unresolved: plan.unresolved } : { address: plan.address, family: plan.family }),
    ...(plan.source ? { source: plan.source } : {}),
    ...(plan.ttl !== undefined ? { ttl: plan.ttl } : {}),
    ...(plan.seqTimeout ? { seqTimeout: plan.seqTimeout } : {}),
    knocks: plan.knocks.map((k) => ({
      token: formatKnock(k),
      protocol: k.protocol,
      ...(k.protocol === 'icmp' ? { size: k.size } : { port: k.port }),
      ...(k.protocol !== 'icmp' && k.connect ? { connect: true } : {}),
      ...(k.protocol !== 'icmp' && k.payload !== undefined ? { payload: k.payload } : {}),
      offsetMs: k.offsetMs,
    })),
  };
}

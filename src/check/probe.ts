// lint --probe: one SYN (closed before any retransmit) to each TCP knock port, in an order that
// forms no sequence of any profile for that address, reporting the ports that accept and what was sent.
import type { Clock } from '../knock/clock.js';
import type { Knock } from '../knock/tokens.js';
import type { Destination, Transport } from '../knock/transport/transport.js';
import { knockLabel, type Finding } from './lint.js';
import { orderProbes } from './probe-order.js';
import type { Profile } from '../store/profiles.js';

export interface ProbeGroup {
  to: Destination;
  /** The profiles being probed at this address. */
  probed: Profile[];
  /** Every profile for this address (the probed ones included): none of their sequences may form. */
  sameAddress: Profile[];
}

export interface ProbeReport {
  address: string;
  profiles: string[];
  /** Ports in the order sent, round by round. */
  rounds: number[][];
  /** Pause between rounds (ms): longer than the longest seq_timeout at the address. */
  waitMs: number;
  skipped: number[];
}

export interface ProbeResult {
  findings: Map<string, Finding[]>;
  reports: ProbeReport[];
}

export interface ProbeOptions {
  transport: Transport;
  clock: Pick<Clock, 'sleep'>;
  verbose?: boolean;
  /** Told before each pause between rounds. */
  onWait?: (ms: number, report: ProbeReport) => void;
}

const tcpPorts = (knocks: Knock[]) => knocks.flatMap((k) => (k.protocol === 'tcp' ? [k.port] : []));

export async function probeGroups(groups: ProbeGroup[], options: ProbeOptions): Promise<ProbeResult> {
  const result: ProbeResult = { findings: new Map(), reports: [] };
  for (const group of groups) {
    const ports = group.probed.flatMap((p) => [...tcpPorts(p.open), ...tcpPorts(p.close ?? [])]);
    const sequences = group.sameAddress.flatMap((p) => [p.open, ...(p.close ? [p.close] : [])]);
    const order = orderProbes(ports, sequences);
    const waitMs = (Math.max(...group.sameAddress.map((p) => p.seqTimeout)) + 1) * 1000;
    const report: ProbeReport = { address: group.to.address, profiles: group.probed.map((p) => p.name), rounds: order.rounds, waitMs, skipped: order.skipped };
    result.reports.push(report);
    const accepted = new Set<number>();
    for (const [r, round] of order.rounds.entries()) {
      if (r > 0) {
        options.onWait?.(waitMs, report);
        await options.clock.sleep(waitMs);
      }
      for (const port of round) {
        const armed = await options.transport.arm({ protocol: 'tcp', port }, group.to);
        if ((await armed.fire().outcome).result === 'accepted') accepted.add(port);
      }
    }
    for (const profile of group.probed) {
      const findings: Finding[] = [];
      for (const [which, knocks] of [['open', profile.open], ['close', profile.close ?? []]] as const) {
        knocks.forEach((knock, i) => {
          if (knock.protocol !== 'tcp') return;
          if (accepted.has(knock.port)) {
            findings.push({ level: 'warning', code: 'port-answers', message: `${knockLabel(i, knock, Boolean(options.verbose))} of the ${which} sequence is accepted by ${group.to.address}: a knock there completes a handshake and sends more packets` });
          } else if (order.skipped.includes(knock.port)) {
            findings.push({ level: 'note', code: 'not-probed', message: `${knockLabel(i, knock, Boolean(options.verbose))} of the ${which} sequence was not probed: a probe there is a whole one-knock sequence` });
          }
        });
      }
      result.findings.set(profile.name, findings);
    }
  }
  return result;
}

/** One line on what the probes sent: counts always, ports only with -v (sequences are secrets). */
export function describeProbes(report: ProbeReport, verbose: boolean): string {
  const sent = report.rounds.reduce((n, r) => n + r.length, 0);
  const who = report.profiles.join(', ');
  let line = `probed ${report.address}: ${sent} SYN${sent === 1 ? '' : 's'}, one to each TCP knock port of ${who}, in an order that forms none of the sequences for that address`;
  if (report.rounds.length > 1) line += `; in ${report.rounds.length} rounds ${report.waitMs / 1000} s apart, since every single order would form one`;
  if (verbose) line += ` (${report.rounds.map((r) => r.join(' ')).join(' | ')})`;
  if (report.skipped.length) line += `; ${report.skipped.length} port${report.skipped.length === 1 ? '' : 's'} of one-knock sequences not probed`;
  return line;
}

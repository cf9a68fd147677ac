// Checks a profile's sequences for knocks that cannot work or are weak, without sending
// anything; probe.ts adds the one check that needs the network.
import { formatKnock, formatKnockInFull, type Knock } from '../knock/tokens.js';
import { planDurationMs, scheduleKnocks } from '../knock/plan.js';
import type { Profile } from '../store/profiles.js';
import { ONE_TIME_LOW, readOneTime } from '../store/one-time.js';
import type { Trust } from '../files/guard.js';
import { notOneHost } from '../shared/address.js';
import { machineOf, scopedAddress, splitZone, type Machine } from '../shared/zone.js';
import { shownValue } from '../shared/printable.js';
import { resolveEveryFamily, type Lookup } from '../knock/resolve.js';
import net from 'node:net';

export type Level = 'error' | 'warning' | 'note';

export interface Finding {
  level: Level;
  code:
    | 'invalid'
    | 'single-knock'
    | 'repeated-knock'
    | 'too-slow'
    | 'same-open-close'
    | 'service-port'
    | 'icmp-knockd'
    | 'connect-knockd'
    | 'port-answers'
    | 'not-probed'
    | 'one-time-left'
    | 'one-time-low'
    | 'one-time-file'
    | 'spa-weak-key'
    | 'spa-source-address'
    | 'spa-time-offset'
    | 'spa-weak-digest'
    | 'not-one-host'
    | 'dual-stack'
    | 'not-resolved'
    | 'zone';
  message: string;
}

/** `knock 2`, and its token only with -v: sequences are secrets. */
export function knockLabel(index: number, knock: Knock, verbose: boolean): string {
  return verbose ? `knock ${index + 1} (${formatKnock(knock)})` : `knock ${index + 1}`;
}

const same = (a: Knock, b: Knock) => formatKnockInFull(a) === formatKnockInFull(b);

export function lintProfile(profile: Profile, verbose = false): Finding[] {
  const findings: Finding[] = [];
  const sequences: [string, Knock[]][] = [['open', profile.open]];
  if (profile.close) sequences.push(['close', profile.close]);
  for (const [which, knocks] of sequences) {
    if (knocks.length === 1) {
      findings.push({ level: 'warning', code: 'single-knock', message: `the ${which} sequence has one knock only: any port scan sends it` });
    }
    for (let i = 1; i < knocks.length; i++) {
      if (same(knocks[i - 1]!, knocks[i]!)) {
        findings.push({
          level: 'warning',
          code: 'repeated-knock',
          message: `${knockLabel(i, knocks[i]!, verbose)} of the ${which} sequence repeats the knock before it: a server cannot tell it from a retransmit or a scan`,
        });
      }
    }
    const duration = planDurationMs({ knocks: scheduleKnocks(knocks, profile.delay) });
    if (duration > profile.seqTimeout * 1000) {
      findings.push({ level: 'warning', code: 'too-slow', message: `the ${which} sequence takes ${duration} ms, longer than seq_timeout ${profile.seqTimeout} s: the server forgets it before it ends` });
    }
    knocks.forEach((knock, i) => {
      if (knock.protocol === 'tcp' && knock.connect) {
        findings.push({
          level: 'warning',
          code: 'connect-knockd',
          message: `${knockLabel(i, knock, verbose)} of the ${which} sequence completes a handshake: knockd takes its ACK and FIN as further knocks and resets the sequence (unless the door sets tcpflags = syn); it is meant for servers behind transparent proxies`,
        });
      }
      if (profile.port !== undefined && knock.protocol === 'tcp' && knock.port === profile.port) {
        findings.push({ level: 'warning', code: 'service-port', message: `${knockLabel(i, knock, verbose)} of the ${which} sequence is the service port ${profile.port}: it answers, so the knock completes a handshake` });
      }
    });
    const icmp = knocks.filter((k) => k.protocol === 'icmp').length;
    if (icmp > 0) {
      findings.push({ level: 'note', code: 'icmp-knockd', message: `the ${which} sequence has ${icmp} ICMP knock${icmp === 1 ? '' : 's'}: fine for an iptables/nftables server, but knockd ignores ICMP` });
    }
  }
  // The knock path refuses these hosts; lint says so before a knock is tried.
  const host = profile.host?.replace(/^\[(.*)\]$/, '$1');
  // eslint-disable-next-line no-control-regex
  const hostProblem = host === undefined ? undefined : /[\u0000-\u001f\u007f]/.test(host) ? 'holds a control character' : notOneHost(host);
  if (hostProblem) findings.push({ level: 'error', code: 'not-one-host', message: `host ${shownValue(profile.host)} is not one host to knock: ${hostProblem}` });
  if (profile.close && profile.close.length === profile.open.length && profile.close.every((k, i) => same(k, profile.open[i]!))) {
    findings.push({ level: 'warning', code: 'same-open-close', message: 'the close sequence is the open sequence: the server cannot tell them apart' });
  }
  return findings;
}

/** How many one-time sequences are left (a note), a warning when few or none, or why the file cannot be used. */
export async function lintOneTime(profile: Profile, trust: Trust): Promise<Finding[]> {
  if (!profile.oneTimeSequences) return [];
  let left: number;
  try {
    left = (await readOneTime(profile.oneTimeSequences, trust)).unused.length;
  } catch (error) {
    return [{ level: 'warning', code: 'one-time-file', message: (error as Error).message }];
  }
  const what = `${left} unused one-time sequence${left === 1 ? '' : 's'} left in ${profile.oneTimeSequences}`;
  if (left === 0) return [{ level: 'warning', code: 'one-time-low', message: `${what}: the next open fails; get a fresh list from the server` }];
  if (left < ONE_TIME_LOW) return [{ level: 'warning', code: 'one-time-low', message: `${what}: get a fresh list from the server soon` }];
  return [{ level: 'note', code: 'one-time-left', message: what }];
}


/**
 * A profile with no `family` whose host has an IPv4 and an IPv6 address: every knock goes to
 * both, so the door must guard both (a note). Resolved as a knock resolves it (`hostOf`: the
 * profile's host or its ssh HostName); a name that does not resolve here is a note too, never a
 * failure. A literal is one family (no lookup); `family` set, or an SPA profile (IPv4 only), is
 * not looked up either. A host with a %zone is checked as the knock checks it (an error when it
 * names no interface here).
 */
export async function lintFamilies(profile: Profile, hostOf: (profile: Profile) => Promise<string>, lookup?: Lookup, machine: Machine = machineOf()): Promise<Finding[]> {
  if (profile.spa) return [];
  let host: string;
  try {
    host = await hostOf(profile);
  } catch (error) {
    return profile.family !== undefined ? [] : [notResolved((error as Error).message)];
  }
  // An address with a %zone: the knock path's check (by name or index), said before a knock; never looked up.
  if (splitZone(host)) {
    try {
      scopedAddress(host, machine);
      return [];
    } catch (error) {
      return [{ level: 'error', code: 'zone', message: `host ${(error as Error).message}` }];
    }
  }
  if (profile.family !== undefined) return [];
  // A literal needs no lookup; a control character is lintProfile's not-one-host error.
  // eslint-disable-next-line no-control-regex
  if (net.isIP(host.replace(/^\[(.*)\]$/, '$1')) || /[\u0000-\u001f\u007f]/.test(host)) return [];
  let found;
  try {
    found = await resolveEveryFamily(host, lookup);
  } catch (error) {
    const hint = !profile.host && host === profile.name ? ' (the profile has no host, and the ssh config gives it no HostName)' : '';
    return [notResolved(`${(error as Error).message}${hint}`)];
  }
  if (found.length < 2) return [];
  const [v4, v6] = found[0].family === 4 ? [found[0], found[1]!] : [found[1]!, found[0]];
  return [
    {
      level: 'note',
      code: 'dual-stack',
      message:
        `host ${shownValue(host)} has an IPv4 address (${v4.address}) and an IPv6 address (${v6.address}) and the profile sets no family: ` +
        `each knock goes to both, IPv${found[0].family} first, so the server's door must guard both families (as knock rules ${profile.name} does: nftables and knockd in one output, iptables with its -6 half); ` +
        'to knock one family only, set family: 4 or 6 in the profile (knock add -4 or -6 stores it)',
    },
  ];
}

function notResolved(reason: string): Finding {
  return { level: 'note', code: 'not-resolved', message: `${reason}: not checked for a host with both address families (a knock resolves it again when it runs)` };
}

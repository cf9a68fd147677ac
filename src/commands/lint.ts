// knock lint [NAME]: warnings for sequences that cannot work or are weak. Exit 0: no
// warnings (notes allowed); 1: warnings; 2: the store itself is broken.
import { prepareTarget, requireProfile } from '../app/target.js';
import { lintFamilies, lintOneTime, lintProfile, type Finding } from '../check/lint.js';
import { systemLookup, type Lookup } from '../knock/resolve.js';
import { describeProbes, probeGroups, type ProbeGroup, type ProbeReport } from '../check/probe.js';
import { systemClock } from '../knock/clock.js';
import { hostOfProfile } from '../app/find-profile.js';
import type { Context } from '../app/context.js';
import type { Profile } from '../store/profiles.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';
import { lintSpa } from '../spa/lint.js';

interface LintArgs {
  name?: string;
  probe?: boolean;
}

export const lintCommand = defineCommand<LintArgs>({
  examples: [
    ['knock lint', 'check every profile; exit 1 on warnings'],
  ],
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'one profile (default: all)' })
      .option('probe', { type: 'boolean', describe: 'also send one SYN to each TCP knock port (in an order that forms no sequence) to find ports that answer' }),
  async run(args, ctx) {
    // Lint reports broken profiles itself, each error on a line of its own.
    const store = await ctx.store(args.name ?? true);
    const brokenNames = [...(store.broken?.keys() ?? [])].filter((n) => !args.name || n === args.name);
    const profiles = args.name ? (brokenNames.length ? [] : [await requireProfile(ctx, args.name)]) : [...store.profiles.values()];
    const verbose = Boolean(args.verbose);
    const results: { name: string; findings: Finding[] }[] = [];
    for (const name of brokenNames) {
      results.push({ name, findings: (store.broken?.get(name) ?? []).map((message) => ({ level: 'error', code: 'invalid', message })) });
    }
    let reports: ProbeReport[] = [];
    const probed = new Map<string, Finding[]>();
    if (args.probe) {
      const probe = await probeGroups(await groupByAddress(ctx, profiles, [...store.profiles.values()]), {
        transport: ctx.transport(),
        clock: ctx.services.clock ?? systemClock,
        verbose,
        onWait: (ms, report) => ctx.warn(`waiting ${ms / 1000} s before more probes of ${report.address}, so that they cannot form a sequence within its seq_timeout`),
      });
      reports = probe.reports;
      for (const [name, findings] of probe.findings) probed.set(name, findings);
    }
    // Every host looked up at once, each name once: a dead DNS server costs one timeout, not one per profile.
    const lookup = onceEach(ctx.services.lookup ?? systemLookup);
    const families = await Promise.all(profiles.map((p) => lintFamilies(p, async (q) => (await hostOfProfile(q, ctx.ssh)).host, lookup, ctx.machine())));
    for (const [i, profile] of profiles.entries()) {
      results.push({ name: profile.name, findings: [...lintProfile(profile, verbose), ...families[i]!, ...(await lintOneTime(profile, ctx.trust)), ...(profile.spa ? lintSpa(profile.spa) : []), ...(probed.get(profile.name) ?? [])] });
    }
    const warnings = results.reduce((n, r) => n + r.findings.filter((f) => f.level === 'warning').length, 0);
    const errors = results.reduce((n, r) => n + r.findings.filter((f) => f.level === 'error').length, 0);
    if (!args.quiet && !args.json) for (const report of reports) ctx.io.stderr.write(`knock: ${describeProbes(report, verbose)}\n`);
    if (args.json) {
      const probes = reports.map(({ rounds, ...rest }) => ({ ...rest, sent: rounds.reduce((n, r) => n + r.length, 0), roundCount: rounds.length, ...(verbose ? { rounds } : {}) }));
      ctx.json({ file: store.file ?? null, warnings, profiles: results, ...(args.probe ? { probes } : {}) });
    } else {
      for (const { name, findings } of results) {
        for (const f of findings) ctx.out(printable(`${name}: ${f.level}: ${f.message} [${f.code}]`));
      }
      const errorCount = errors ? `, ${errors} error${errors === 1 ? '' : 's'}` : '';
      // The count is the result of the command: stdout, like the findings.
      ctx.out(`${results.length} profile${results.length === 1 ? '' : 's'} checked, ${warnings} warning${warnings === 1 ? '' : 's'}${errorCount}`);
    }
    return errors > 0 ? 2 : warnings > 0 ? 1 : 0;
  },
});

/**
 * The probed profiles by resolved address, each with every profile of the store that knocks the
 * same address (or names the same host), whose sequences the probes must not form either.
 */
async function groupByAddress(ctx: Context, probed: Profile[], all: Profile[]): Promise<ProbeGroup[]> {
  const groups = new Map<string, ProbeGroup>();
  for (const profile of probed) {
    const { plan } = await prepareTarget(ctx, { target: profile.name, action: 'open', peek: true });
    const group = groups.get(plan.address) ?? { to: { address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}), ...(plan.ttl !== undefined ? { ttl: plan.ttl } : {}) }, probed: [], sameAddress: [] };
    group.probed.push(profile);
    groups.set(plan.address, group);
  }
  for (const group of groups.values()) {
    const hosts = new Set<string>();
    for (const p of group.probed) hosts.add((await hostOfProfile(p, ctx.ssh)).host.toLowerCase());
    for (const other of all) {
      const host = (await hostOfProfile(other, ctx.ssh)).host.toLowerCase();
      // A profile that does not resolve cannot be told apart from this address: count it by host name only.
      const address = await prepareTarget(ctx, { target: other.name, action: 'open', peek: true }).then((t) => t.plan.address, () => undefined);
      if (hosts.has(host) || address === group.to.address) group.sameAddress.push(other);
    }
  }
  return [...groups.values()];
}

/** A lookup that asks once per name and family, however many profiles share the host. */
function onceEach(lookup: Lookup): Lookup {
  const asked = new Map<string, ReturnType<Lookup>>();
  return (host, family) => {
    const key = `${family} ${host}`;
    let answer = asked.get(key);
    if (!answer) asked.set(key, (answer = lookup(host, family)));
    return answer;
  };
}

// knock lint [NAME]: warnings for sequences that cannot work or are weak. Exit 0: no
// warnings (notes allowed); 1: warnings; 2: the store itself is broken.
import { prepareTarget, requireProfile } from '../app/target.js';
import { lintOneTime, lintProfile, probeKnockPorts, type Finding } from '../store/lint.js';
import { systemTransport } from '../knock/transport/system.js';
import { defineCommand } from './command.js';

interface LintArgs {
  name?: string;
  probe?: boolean;
}

export const lintCommand = defineCommand<LintArgs>({
  command: 'lint [name]',
  examples: [
    ['knock lint', 'check every profile; exit 1 on warnings'],
  ],
  describe: 'check profiles for sequences that cannot work or are weak (exit 1 on warnings)',
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'one profile (default: all)' })
      .option('probe', { type: 'boolean', describe: 'also send one SYN to each TCP knock port to find ports that answer' }),
  async run(args, ctx) {
    const store = await ctx.store();
    const profiles = args.name ? [await requireProfile(ctx, args.name)] : [...store.profiles.values()];
    const verbose = Boolean(args.verbose);
    const results: { name: string; findings: Finding[] }[] = [];
    for (const profile of profiles) {
      const findings = [...lintProfile(profile, verbose), ...(await lintOneTime(profile))];
      if (args.probe) {
        const { plan } = await prepareTarget(ctx, { target: profile.name, action: 'open', peek: true });
        findings.push(...(await probeKnockPorts(profile, { address: plan.address, family: plan.family, ...(plan.source ? { source: plan.source } : {}), ...(plan.ttl !== undefined ? { ttl: plan.ttl } : {}) }, ctx.services.transport ?? systemTransport(), verbose)));
      }
      results.push({ name: profile.name, findings });
    }
    const warnings = results.reduce((n, r) => n + r.findings.filter((f) => f.level === 'warning').length, 0);
    if (args.json) {
      ctx.json({ file: store.file ?? null, warnings, profiles: results });
    } else {
      for (const { name, findings } of results) {
        for (const f of findings) ctx.out(`${name}: ${f.level}: ${f.message} [${f.code}]`);
      }
      // The count is the result of the command: stdout, like the findings.
      ctx.out(`${results.length} profile${results.length === 1 ? '' : 's'} checked, ${warnings} warning${warnings === 1 ? '' : 's'}`);
    }
    return warnings > 0 ? 1 : 0;
  },
});

// knock lint [NAME]: warnings for sequences that cannot work or are weak. Exit 0: no
// warnings (notes allowed); 1: warnings; 2: the store itself is broken.
import { prepareTarget, requireProfile } from '../app/target.js';
import { lintOneTime, lintProfile, probeKnockPorts, type Finding } from '../store/lint.js';
import { systemTransport } from '../knock/transport/system.js';
import { defineCommand } from './command.js';
import { printable } from '../shared/printable.js';

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
    // Lint reports broken profiles itself, each error on a line of its own.
    const store = await ctx.store(args.name ?? true);
    const brokenNames = [...(store.broken?.keys() ?? [])].filter((n) => !args.name || n === args.name);
    const profiles = args.name ? (brokenNames.length ? [] : [await requireProfile(ctx, args.name)]) : [...store.profiles.values()];
    const verbose = Boolean(args.verbose);
    const results: { name: string; findings: Finding[] }[] = [];
    for (const name of brokenNames) {
      results.push({ name, findings: (store.broken?.get(name) ?? []).map((message) => ({ level: 'error', code: 'invalid', message })) });
    }
    for (const profile of profiles) {
      const findings = [...lintProfile(profile, verbose), ...(await lintOneTime(profile))];
      if (args.probe) {
        const { plan } = await prepareTarget(ctx, { target: profile.name, action: 'open', peek: true });
        findings.push(...(await probeKnockPorts(profile, { address: plan.address, family: plan.family }, ctx.services.transport ?? systemTransport(), verbose)));
      }
      results.push({ name: profile.name, findings });
    }
    const warnings = results.reduce((n, r) => n + r.findings.filter((f) => f.level === 'warning').length, 0);
    const errors = results.reduce((n, r) => n + r.findings.filter((f) => f.level === 'error').length, 0);
    if (args.json) {
      ctx.json({ file: store.file ?? null, warnings, profiles: results });
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
